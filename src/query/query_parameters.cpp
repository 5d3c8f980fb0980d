#include "opsdb/query/query_parameters.hpp"

#include <charconv>

#include "opsdb/core/error.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/uuid.hpp"

namespace opsdb {

int parse_int_parameter(const std::string& name, const std::string& text, int min, int max) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || value < min ||
      value > max) {
    throw ApiError(ErrorKind::bad_request, name + " must be an integer between " +
                                               std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

std::string parse_time_parameter(const std::string& name, const std::string& text) {
  auto canonical = canonical_timestamp(text);
  if (!canonical) {
    throw ApiError(ErrorKind::bad_request,
                   name + " must be an ISO-8601 timestamp with a time zone");
  }
  return *canonical;
}

ListPosition parse_list_cursor(const std::string& text) {
  const auto sep = text.rfind('_');
  if (sep != std::string::npos) {
    auto time = canonical_timestamp(text.substr(0, sep));
    auto id = text.substr(sep + 1);
    if (time && is_uuid(id)) return {*time, id};
  }
  throw ApiError(ErrorKind::bad_request, "cursor is not one this API issued");
}

std::string list_cursor(const ListPosition& position) {
  return position.time + "_" + position.id;
}

}  // namespace opsdb
