#include "opsdb/query/read_queries.hpp"

#include <charconv>

#include "opsdb/core/error.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

int parse_int(const std::string& name, const std::string& text, int min, int max) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < min || value > max) {
    throw ApiError(ErrorKind::bad_request, name + " must be an integer between " +
                                               std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

std::string parse_time(const std::string& name, const std::string& text) {
  auto canonical = canonical_timestamp(text);
  if (!canonical) {
    throw ApiError(ErrorKind::bad_request,
                   name + " must be an ISO-8601 timestamp with a time zone");
  }
  return *canonical;
}

// Child lists embedded in documents, with the table their rows come from.
const std::pair<const char*, const char*> kChildren[] = {
    {"raw_data_files", "raw_data_file"},
    {"raw_data_packages", "raw_data_package"},
    {"instrument_module_configurations", "instrument_module_configuration"},
    {"status_changes", "executed_obs_unit_status_change"},
};

}  // namespace

ObservationFilter parse_observation_filter(const std::map<std::string, std::string>& query) {
  ObservationFilter f;
  for (const auto& [key, value] : query) {
    if (key == "obs_unit_id") {
      f.obs_unit_id = parse_int(key, value, 1, INT32_MAX);
    } else if (key == "status") {
      nlohmann::json v = value;
      const auto& table = *SchemaRegistry::instance().table("executed_obs_unit");
      if (auto error = SchemaRegistry::instance().check_value(*table.column("status"), v)) {
        throw ApiError(ErrorKind::bad_request, "status " + *error);
      }
      f.status = value;
    } else if (key == "since") {
      f.since = parse_time(key, value);
    } else if (key == "until") {
      f.until = parse_time(key, value);
    } else if (key == "limit") {
      f.limit = parse_int(key, value, 1, ObservationFilter::kMaxLimit);
    } else if (key == "cursor") {
      auto sep = value.rfind('_');
      if (sep == std::string::npos || !canonical_timestamp(value.substr(0, sep)) ||
          !is_uuid(value.substr(sep + 1))) {
        throw ApiError(ErrorKind::bad_request, "cursor is not one this API issued");
      }
      f.cursor = value;
    } else {
      throw ApiError(ErrorKind::bad_request, "unknown query parameter '" + key + "'");
    }
  }
  return f;
}

std::string make_cursor(const nlohmann::json& observation) {
  return observation.at("start_time").get<std::string>() + "_" +
         observation.at("id").get<std::string>();
}

SqlQuery observation_by_id(const std::string& id) {
  return {R"sql(
SELECT (to_jsonb(e) || jsonb_build_object(
  'raw_data_files', (SELECT coalesce(jsonb_agg(to_jsonb(f) ORDER BY f.created_at, f.id), '[]'::jsonb)
                       FROM raw_data_file f WHERE f.executed_obs_unit_id = e.id),
  'raw_data_packages', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.created_at, p.id), '[]'::jsonb)
                          FROM raw_data_package p WHERE p.executed_obs_unit_id = e.id),
  'instrument_module_configurations',
      (SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.recorded_at, c.id), '[]'::jsonb)
         FROM instrument_module_configuration c WHERE c.executed_obs_unit_id = e.id),
  'status_changes', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.changed_at, s.id), '[]'::jsonb)
                       FROM executed_obs_unit_status_change s WHERE s.executed_obs_unit_id = e.id)
))::text
FROM executed_obs_unit e WHERE e.id = $1::uuid)sql",
          {id}};
}

SqlQuery observations(const ObservationFilter& f) {
  std::optional<std::string> cursor_time, cursor_id;
  if (f.cursor) {
    auto sep = f.cursor->rfind('_');
    cursor_time = f.cursor->substr(0, sep);
    cursor_id = f.cursor->substr(sep + 1);
  }
  auto opt_int = [](const std::optional<int>& v) -> std::optional<std::string> {
    return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
  };
  return {R"sql(
SELECT to_jsonb(e)::text FROM executed_obs_unit e
WHERE ($1::integer IS NULL OR e.obs_unit_id = $1::integer)
  AND ($2::text IS NULL OR e.status = $2::text)
  AND ($3::timestamptz IS NULL OR e.start_time >= $3::timestamptz)
  AND ($4::timestamptz IS NULL OR e.start_time < $4::timestamptz)
  AND ($5::timestamptz IS NULL OR (e.start_time, e.id) < ($5::timestamptz, $6::uuid))
ORDER BY e.start_time DESC, e.id DESC
LIMIT $7::integer)sql",
          {opt_int(f.obs_unit_id), f.status, f.since, f.until, cursor_time, cursor_id,
           std::to_string(f.limit + 1)}};
}

SqlQuery raw_data_file_by_id(const std::string& id) {
  return {"SELECT to_jsonb(f)::text FROM raw_data_file f WHERE f.id = $1::uuid", {id}};
}

SqlQuery raw_data_package_by_id(const std::string& id) {
  return {R"sql(
SELECT (to_jsonb(p) || jsonb_build_object(
  'raw_data_files', (SELECT coalesce(jsonb_agg(to_jsonb(f) ORDER BY f.created_at, f.id), '[]'::jsonb)
                       FROM raw_data_file f WHERE f.raw_data_package_id = p.id)))::text
FROM raw_data_package p WHERE p.id = $1::uuid)sql",
          {id}};
}

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

nlohmann::json observation_page(nlohmann::json rows, int limit) {
  for (auto& row : rows) normalize_record("executed_obs_unit", row);
  nlohmann::json next = nullptr;
  if (static_cast<int>(rows.size()) > limit) {
    rows.erase(rows.begin() + limit, rows.end());
    next = make_cursor(rows.back());
  }
  const auto count = rows.size();
  return {{"items", std::move(rows)}, {"count", count}, {"next_cursor", std::move(next)}};
}

}  // namespace opsdb
