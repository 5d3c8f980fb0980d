#pragma once

#include <compare>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/query/buffered_records.hpp"
#include "opsdb/query/observation_filter.hpp"

namespace opsdb {

struct Table;

/// The merge rules of reads at a secondary site (DESIGN §8), as pure functions over plain data.

/// One record as a client sees it: the replica's row, the row of a pending insert over it, the
/// fields of pending updates over that, field by field. None when there is no row at all (an
/// update alone, of a record neither here nor on the replica, describes nothing readable).
/// Timestamps come out canonical.
std::optional<nlohmann::json> merge_record(const std::string& table,
                                           const nlohmann::json* replica_row,
                                           const BufferedRecord& buffered);

/// Where a record stands in its table's list order: (order column, id), timestamps canonical.
struct ListPosition {
  std::string time;
  std::string id;

  auto operator<=>(const ListPosition&) const = default;
};

/// The position of a (merged) record of `table`; its order column and id must be strings.
ListPosition list_position(const Table& table, const nlohmann::json& record);

/// A child collection of a document (the files of an observation, ...): the replica's rows and
/// the buffered records merged by id, only those whose `column` still equals `value` after the
/// merge, oldest first by (order column, id). `buffered` holds the buffered state of every id
/// known, including overlays of rows that are only on the replica.
std::vector<nlohmann::json> merge_collection(const Table& table,
                                             const std::vector<nlohmann::json>& replica_rows,
                                             const std::map<std::string, BufferedRecord>& buffered,
                                             const std::string& column, const std::string& value);

/// Whether a merged observation belongs to the list `filter` describes, after its cursor.
bool matches_filter(const ObservationFilter& filter, const nlohmann::json& observation);

}  // namespace opsdb
