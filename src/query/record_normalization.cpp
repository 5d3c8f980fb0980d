#include "opsdb/query/record_normalization.hpp"

#include <utility>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

// Child lists embedded in documents, with the table their rows come from.
const std::pair<const char*, const char*> kChildren[] = {
    {"raw_data_files", "raw_data_file"},
    {"raw_data_packages", "raw_data_package"},
    {"instrument_module_configurations", "instrument_module_configuration"},
    {"status_changes", "executed_obs_unit_status_change"},
};

}  // namespace

void normalize_record(const std::string& table_name, nlohmann::json& record) {
  const Table* table = SchemaRegistry::instance().table(table_name);
  if (table == nullptr || !record.is_object()) return;
  for (const auto& column : table->columns) {
    if (column.type != ColumnType::timestamptz) continue;
    auto it = record.find(column.name);
    if (it == record.end() || !it->is_string()) continue;
    if (auto canonical = canonical_timestamp(it->get<std::string>())) *it = *canonical;
  }
  for (const auto& [field, child_table] : kChildren) {
    auto it = record.find(field);
    if (it == record.end() || !it->is_array()) continue;
    for (auto& child : *it) normalize_record(child_table, child);
  }
}

}  // namespace opsdb
