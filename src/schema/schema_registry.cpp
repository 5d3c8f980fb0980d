#include "opsdb/schema/schema_registry.hpp"

#include <cstdint>
#include <vector>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/uuid.hpp"

namespace opsdb {
namespace {

const std::vector<std::string> kObservationStatuses = {"running", "completed", "failed", "aborted"};

Column col(std::string name, ColumnType type) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  return c;
}

Column nullable(Column c) {
  c.nullable = true;
  return c;
}

Column updatable(Column c) {
  c.updatable = true;
  return c;
}

Column one_of(Column c, std::vector<std::string> values) {
  c.allowed = std::move(values);
  return c;
}

Column references(Column c, std::string table) {
  c.references = std::move(table);
  return c;
}

// A column reads find buffered records by.
Column indexed(Column c) {
  c.indexed = true;
  return c;
}

Column indexed_reference(Column c, std::string table) {
  return indexed(references(std::move(c), std::move(table)));
}

std::vector<Table> project_tables() {
  using T = ColumnType;
  return {
      {"executed_obs_unit",
       {col("id", T::uuid), indexed_reference(col("obs_unit_id", T::integer), "obs_unit"),
        indexed(updatable(one_of(col("status", T::text), kObservationStatuses))),
        col("start_time", T::timestamptz), updatable(nullable(col("end_time", T::timestamptz))),
        col("conditions", T::json_object), col("created_at", T::timestamptz),
        updatable(col("updated_at", T::timestamptz))},
       "start_time",
       true},
      {"executed_obs_unit_status_change",
       {col("id", T::uuid),
        indexed_reference(col("executed_obs_unit_id", T::uuid), "executed_obs_unit"),
        nullable(one_of(col("from_status", T::text), kObservationStatuses)),
        one_of(col("to_status", T::text), kObservationStatuses), nullable(col("reason", T::text)),
        col("changed_at", T::timestamptz)},
       "changed_at"},
      {"instrument_module_configuration",
       {col("id", T::uuid),
        indexed_reference(col("executed_obs_unit_id", T::uuid), "executed_obs_unit"),
        references(col("instrument_module_id", T::integer), "instrument_module"),
        col("configuration", T::json_object), col("recorded_at", T::timestamptz)},
       "recorded_at"},
      {"raw_data_package",
       {col("id", T::uuid), col("name", T::text),
        indexed_reference(col("executed_obs_unit_id", T::uuid), "executed_obs_unit"),
        references(col("instrument_module_id", T::integer), "instrument_module"),
        indexed(updatable(one_of(col("status", T::text), {"building", "complete"}))),
        updatable(one_of(col("state", T::text), {"waiting", "transferring", "archived", "failed"})),
        updatable(nullable(col("size_bytes", T::bigint))),
        updatable(nullable(col("checksum", T::text))), col("metadata", T::json_object),
        col("created_at", T::timestamptz), updatable(col("updated_at", T::timestamptz))},
       "created_at",
       true},
      {"raw_data_file",
       {col("id", T::uuid), col("name", T::text), col("relative_path", T::text),
        indexed_reference(col("executed_obs_unit_id", T::uuid), "executed_obs_unit"),
        references(col("instrument_module_id", T::integer), "instrument_module"),
        updatable(
            indexed_reference(nullable(col("raw_data_package_id", T::uuid)), "raw_data_package")),
        col("size_bytes", T::bigint), col("checksum", T::text), nullable(col("file_type", T::text)),
        col("created_at", T::timestamptz)},
       "created_at"},
      // Written by the API alongside a write sent with an Idempotency-Key (tx/idempotency.hpp).
      {"idempotent_request",
       {col("id", T::uuid), col("request_hash", T::text), col("created_at", T::timestamptz)},
       "created_at"},
  };
}

}  // namespace

const Column* Table::column(const std::string& wanted) const {
  for (const auto& c : columns) {
    if (c.name == wanted) return &c;
  }
  return nullptr;
}

const SchemaRegistry& SchemaRegistry::instance() {
  static const SchemaRegistry registry(project_tables());
  return registry;
}

const Table* SchemaRegistry::table(const std::string& name) const {
  for (const auto& t : tables_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

bool contains_nul(const nlohmann::json& value) {
  std::vector<const nlohmann::json*> pending{&value};
  while (!pending.empty()) {
    const auto* v = pending.back();
    pending.pop_back();
    if (v->is_string() && v->get_ref<const std::string&>().find('\0') != std::string::npos) {
      return true;
    }
    if (v->is_object()) {
      for (const auto& [key, child] : v->items()) {
        if (key.find('\0') != std::string::npos) return true;
        pending.push_back(&child);
      }
    } else if (v->is_array()) {
      for (const auto& child : *v) pending.push_back(&child);
    }
  }
  return false;
}

std::optional<std::string> SchemaRegistry::check_value(const Column& column,
                                                       nlohmann::json& value) const {
  if (value.is_null()) {
    if (column.nullable) return std::nullopt;
    return "must not be null";
  }
  switch (column.type) {
    case ColumnType::uuid:
      if (!value.is_string() || !is_uuid(value.get<std::string>())) return "must be a UUID";
      value = normalize_uuid(value.get<std::string>());
      return std::nullopt;
    case ColumnType::integer:
      if (!value.is_number_integer()) return "must be an integer";
      if (value.is_number_unsigned()
              ? value.get<std::uint64_t>() > INT32_MAX
              : value.get<long long>() < INT32_MIN || value.get<long long>() > INT32_MAX) {
        return "is out of range";
      }
      return std::nullopt;
    case ColumnType::bigint:
      if (!value.is_number_integer()) return "must be an integer";
      // Above 2^63 - 1 the value only fits an unsigned number, and PostgreSQL's bigint not at all.
      if (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX) {
        return "is out of range";
      }
      if (value.get<long long>() < 0) return "must not be negative";
      return std::nullopt;
    case ColumnType::text: {
      if (!value.is_string()) return "must be a string";
      const auto& text = value.get_ref<const std::string&>();
      if (column.allowed.empty()) {
        if (text.empty()) return "must not be empty";
        return std::nullopt;
      }
      for (const auto& allowed : column.allowed) {
        if (text == allowed) return std::nullopt;
      }
      std::string list;
      for (const auto& allowed : column.allowed) list += (list.empty() ? "" : ", ") + allowed;
      return "must be one of " + list;
    }
    case ColumnType::timestamptz: {
      if (!value.is_string()) return "must be an ISO-8601 timestamp string";
      auto canonical = canonical_timestamp(value.get<std::string>());
      if (!canonical) return "must be an ISO-8601 timestamp with a time zone";
      value = *canonical;
      return std::nullopt;
    }
    case ColumnType::json_object:
      if (!value.is_object()) return "must be a JSON object";
      return std::nullopt;
  }
  return "has an unsupported type";
}

}  // namespace opsdb
