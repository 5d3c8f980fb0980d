#include "opsdb/query/observation_filter.hpp"

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>

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

std::string make_cursor(const std::string& start_time, const std::string& id) {
  return start_time + "_" + id;
}

std::pair<std::string, std::string> cursor_position(const std::string& cursor) {
  const auto sep = cursor.rfind('_');
  return {cursor.substr(0, sep), cursor.substr(sep + 1)};
}

}  // namespace opsdb
