#include "opsdb/query/record_merge.hpp"

#include <algorithm>
#include <set>

#include "opsdb/query/record_normalization.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

const std::string& string_field(const nlohmann::json& record, const std::string& name) {
  static const std::string empty;
  auto it = record.find(name);
  return it != record.end() && it->is_string() ? it->get_ref<const std::string&>() : empty;
}

// A column's value as index sets and query strings spell it.
std::string value_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::optional<nlohmann::json> merge_record(const std::string& table,
                                           const nlohmann::json* replica_row,
                                           const BufferedRecord& buffered) {
  if ((replica_row == nullptr || !replica_row->is_object()) &&
      (!buffered.row || !buffered.row->is_object())) {
    return std::nullopt;
  }
  nlohmann::json merged = replica_row != nullptr && replica_row->is_object()
                              ? *replica_row
                              : nlohmann::json::object();
  if (buffered.row && buffered.row->is_object()) {
    for (const auto& [field, value] : buffered.row->items()) merged[field] = value;
  }
  if (buffered.overlay.is_object()) {
    for (const auto& [field, value] : buffered.overlay.items()) merged[field] = value;
  }
  normalize_record(table, merged);
  return merged;
}

ListPosition list_position(const Table& table, const nlohmann::json& record) {
  return {string_field(record, table.order_column), string_field(record, "id")};
}

std::vector<nlohmann::json> merge_collection(const Table& table,
                                             const std::vector<nlohmann::json>& replica_rows,
                                             const std::map<std::string, BufferedRecord>& buffered,
                                             const std::string& column, const std::string& value) {
  static const BufferedRecord kNothing;
  std::map<std::string, const nlohmann::json*> rows;
  for (const auto& row : replica_rows) rows[string_field(row, "id")] = &row;
  std::set<std::string> ids;
  for (const auto& [id, row] : rows) ids.insert(id);
  for (const auto& [id, record] : buffered) {
    if (record.row) ids.insert(id);
  }
  std::vector<nlohmann::json> merged;
  for (const auto& id : ids) {
    auto row = rows.find(id);
    auto pending = buffered.find(id);
    auto record = merge_record(table.name, row == rows.end() ? nullptr : row->second,
                               pending == buffered.end() ? kNothing : pending->second);
    if (!record) continue;
    auto it = record->find(column);
    if (it == record->end() || it->is_null() || value_text(*it) != value) continue;
    merged.push_back(std::move(*record));
  }
  std::sort(merged.begin(), merged.end(), [&table](const auto& a, const auto& b) {
    return list_position(table, a) < list_position(table, b);
  });
  return merged;
}

bool matches_filter(const ObservationFilter& f, const nlohmann::json& o) {
  if (f.obs_unit_id) {
    auto it = o.find("obs_unit_id");
    if (it == o.end() || !it->is_number_integer() || it->get<long long>() != *f.obs_unit_id) {
      return false;
    }
  }
  if (f.status && string_field(o, "status") != *f.status) return false;
  const auto& start = string_field(o, "start_time");
  if (f.since && start < *f.since) return false;
  if (f.until && start >= *f.until) return false;
  if (f.cursor) {
    auto [time, id] = cursor_position(*f.cursor);
    if (!(ListPosition{start, string_field(o, "id")} < ListPosition{time, id})) return false;
  }
  return true;
}

}  // namespace opsdb
