#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "opsdb/core/result.hpp"
#include "opsdb/query/buffered_records.hpp"
#include "opsdb/query/merged_listing.hpp"
#include "opsdb/query/observation_filter.hpp"
#include "opsdb/query/observation_page.hpp"
#include "opsdb/query/read_store.hpp"

namespace opsdb {

/// What every read endpoint asks. At a secondary site it merges the local replica with what is
/// still buffered (DESIGN §8): the buffer is read first and the replica after it, so a record
/// that moves from one to the other in between is seen in the replica — the buffer drops a
/// record only once the replica has it. Lists are filtered, sorted and cut after the merge.
/// Without a buffer (the main site) reads are the database's alone.
///
/// Sources that fail: a record still in the buffer is answered from it when the database is
/// unreachable, but a list then fails (it cannot be complete); a buffer that fails leaves the
/// database's answer, marked `buffer_unavailable`.
class SmartQuery {
 public:
  using Record = nlohmann::json;

  /// Both must outlive the object; `buffer` may be null.
  SmartQuery(ReadStore& database, BufferedRecords* buffer) : database_(database), buffer_(buffer) {}

  /// An executed_obs_unit with its raw_data_files, raw_data_packages,
  /// instrument_module_configurations and status_changes.
  void observation(const std::string& id, Callback<Read<std::optional<Record>>> done);
  /// One page of observations, newest first.
  void observations(const ObservationFilter& filter, Callback<Read<ObservationPage>> done);
  void raw_data_file(const std::string& id, Callback<Read<std::optional<Record>>> done);
  /// A raw_data_package with its raw_data_files.
  void raw_data_package(const std::string& id, Callback<Read<std::optional<Record>>> done);

 private:
  ReadStore& database_;
  BufferedRecords* buffer_;
};

}  // namespace opsdb
