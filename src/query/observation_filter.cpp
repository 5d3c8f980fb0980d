#include "opsdb/query/observation_filter.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "opsdb/core/error.hpp"
#include "opsdb/query/query_parameters.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {

ObservationFilter parse_observation_filter(const std::map<std::string, std::string>& query) {
  ObservationFilter f;
  for (const auto& [key, value] : query) {
    if (key == "obs_unit_id") {
      f.obs_unit_id = parse_int_parameter(key, value, 1, INT32_MAX);
    } else if (key == "status") {
      nlohmann::json v = value;
      const auto& table = *SchemaRegistry::instance().table("executed_obs_unit");
      if (auto error = SchemaRegistry::instance().check_value(*table.column("status"), v)) {
        throw ApiError(ErrorKind::bad_request, "status " + *error);
      }
      f.status = value;
    } else if (key == "since") {
      f.since = parse_time_parameter(key, value);
    } else if (key == "until") {
      f.until = parse_time_parameter(key, value);
    } else if (key == "limit") {
      f.limit = parse_int_parameter(key, value, 1, ObservationFilter::kMaxLimit);
    } else if (key == "cursor") {
      f.cursor = list_cursor(parse_list_cursor(value));
    } else {
      throw ApiError(ErrorKind::bad_request, "unknown query parameter '" + key + "'");
    }
  }
  return f;
}

std::string make_cursor(const std::string& start_time, const std::string& id) {
  return list_cursor({start_time, id});
}

std::pair<std::string, std::string> cursor_position(const std::string& cursor) {
  auto position = parse_list_cursor(cursor);
  return {position.time, position.id};
}

}  // namespace opsdb
