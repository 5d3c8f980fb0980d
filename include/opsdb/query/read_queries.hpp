#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "opsdb/db/database.hpp"

namespace opsdb {

/// Filter and page of `GET /executed_obs_units`. Results are ordered newest first by
/// (start_time, id); `cursor` continues after the last item of the previous page.
struct ObservationFilter {
  std::optional<int> obs_unit_id;
  std::optional<std::string> status;
  std::optional<std::string> since;  // canonical timestamp, inclusive
  std::optional<std::string> until;  // canonical timestamp, exclusive
  int limit = 100;
  std::optional<std::string> cursor;

  static constexpr int kMaxLimit = 1000;
};

/// Parses the query string of the list endpoint; throws ApiError(bad_request).
ObservationFilter parse_observation_filter(const std::map<std::string, std::string>& query);

/// The opaque keyset cursor of the item after which the next page starts.
std::string make_cursor(const nlohmann::json& observation);

/// Statements of the read endpoints. Each returns one JSON document per row.
SqlQuery observation_by_id(const std::string& id);
SqlQuery observations(const ObservationFilter& filter);  // fetches limit + 1 rows
SqlQuery raw_data_file_by_id(const std::string& id);
SqlQuery raw_data_package_by_id(const std::string& id);

/// Rewrites the timestamps of a row of `table` (and of its nested child lists) canonically, so
/// rows from the database and records from the buffer compare and sort alike.
void normalize_record(const std::string& table, nlohmann::json& record);

/// Builds the page document {"items", "count", "next_cursor"} from limit + 1 fetched rows.
nlohmann::json observation_page(nlohmann::json rows, int limit);

}  // namespace opsdb
