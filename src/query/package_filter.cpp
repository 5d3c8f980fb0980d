#include "opsdb/core/error.hpp"
#include "opsdb/core/utf8.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/query/query_parameters.hpp"
#include "opsdb/query/transfer_catalog.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

constexpr std::size_t kMaxNamePrefix = 200;

// A value of a checked column of raw_data_package (state, status), as the registry allows.
std::string package_value(const std::string& column, const std::string& text) {
  const auto& registry = SchemaRegistry::instance();
  const auto& table = *registry.table("raw_data_package");
  nlohmann::json value = text;
  if (auto error = registry.check_value(*table.column(column), value)) {
    throw ApiError(ErrorKind::bad_request, column + " " + *error);
  }
  return text;
}

const std::string& text_field(const nlohmann::json& record, const char* name) {
  static const std::string empty;
  auto it = record.find(name);
  return it != record.end() && it->is_string() ? it->get_ref<const std::string&>() : empty;
}

}  // namespace

PackageFilter parse_package_filter(const std::map<std::string, std::string>& query) {
  PackageFilter f;
  for (const auto& [key, value] : query) {
    if (key == "state" || key == "status") {
      (key == "state" ? f.state : f.status) = package_value(key, value);
    } else if (key == "executed_obs_unit_id") {
      if (!is_uuid(value)) throw ApiError(ErrorKind::bad_request, key + " must be a UUID");
      f.executed_obs_unit_id = value;
    } else if (key == "instrument_module_id") {
      f.instrument_module_id = parse_int_parameter(key, value, 1, INT32_MAX);
    } else if (key == "since" || key == "created_since") {
      f.since = parse_time_parameter(key, value);
    } else if (key == "until" || key == "created_until") {
      f.until = parse_time_parameter(key, value);
    } else if (key == "name_prefix") {
      if (value.empty() || value.size() > kMaxNamePrefix || !is_valid_utf8(value)) {
        throw ApiError(ErrorKind::bad_request, "name_prefix must be 1 to " +
                                                   std::to_string(kMaxNamePrefix) +
                                                   " bytes of UTF-8");
      }
      f.name_prefix = value;
    } else if (key == "sort") {
      if (value != "created_desc" && value != "created_asc") {
        throw ApiError(ErrorKind::bad_request, "sort must be created_desc or created_asc");
      }
      f.oldest_first = value == "created_asc";
    } else if (key == "limit") {
      f.limit = parse_int_parameter(key, value, 1, PackageFilter::kMaxLimit);
    } else if (key == "cursor") {
      f.after = parse_list_cursor(value);
    } else {
      throw ApiError(ErrorKind::bad_request, "unknown query parameter '" + key + "'");
    }
  }
  return f;
}

std::string make_package_cursor(const ListPosition& last) { return list_cursor(last); }

bool package_matches(const PackageFilter& f, const nlohmann::json& p) {
  if (f.state && text_field(p, "state") != *f.state) return false;
  if (f.status && text_field(p, "status") != *f.status) return false;
  if (f.executed_obs_unit_id && text_field(p, "executed_obs_unit_id") != *f.executed_obs_unit_id) {
    return false;
  }
  if (f.instrument_module_id) {
    auto it = p.find("instrument_module_id");
    if (it == p.end() || !it->is_number_integer() || it->get<long long>() != *f.instrument_module_id) {
      return false;
    }
  }
  if (f.name_prefix && text_field(p, "name").rfind(*f.name_prefix, 0) != 0) return false;
  const auto& created = text_field(p, "created_at");
  if (f.since && created < *f.since) return false;
  if (f.until && created >= *f.until) return false;
  if (f.after) {
    const ListPosition here{created, text_field(p, "id")};
    if (f.oldest_first ? !(*f.after < here) : !(here < *f.after)) return false;
  }
  return true;
}

}  // namespace opsdb
