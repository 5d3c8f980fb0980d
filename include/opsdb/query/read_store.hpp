#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/result.hpp"
#include "opsdb/query/observation_filter.hpp"

namespace opsdb {

/// The records the read endpoints serve, as stored: each one row as a JSON object with the
/// table's columns, child lists embedded where named. An absent record is an empty optional.
class ReadStore {
 public:
  using Record = nlohmann::json;

  virtual ~ReadStore() = default;
  /// An executed_obs_unit with its raw_data_files, raw_data_packages,
  /// instrument_module_configurations and status_changes.
  virtual void observation(const std::string& id, Callback<std::optional<Record>> done) = 0;
  /// Observations matching `filter`, newest first: up to `filter.limit + 1`, so the caller knows
  /// whether another page follows.
  virtual void observations(const ObservationFilter& filter,
                            Callback<std::vector<Record>> done) = 0;
  /// Observations matching `filter` among `ids` (all of them: the filter's limit is ignored),
  /// newest first.
  virtual void observations_among(const std::vector<std::string>& ids,
                                  const ObservationFilter& filter,
                                  Callback<std::vector<Record>> done) = 0;
  /// The plain rows of `table` (a table of the schema registry) among `ids`, in no order.
  virtual void rows(const std::string& table, const std::vector<std::string>& ids,
                    Callback<std::vector<Record>> done) = 0;
  virtual void raw_data_file(const std::string& id, Callback<std::optional<Record>> done) = 0;
  /// A raw_data_package with its raw_data_files.
  virtual void raw_data_package(const std::string& id, Callback<std::optional<Record>> done) = 0;
};

}  // namespace opsdb
