#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

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
std::string make_cursor(const std::string& start_time, const std::string& id);

/// The (start_time, id) position a cursor this API issued stands for.
std::pair<std::string, std::string> cursor_position(const std::string& cursor);

}  // namespace opsdb
