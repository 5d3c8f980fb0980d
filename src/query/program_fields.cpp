#include "opsdb/core/error.hpp"
#include "opsdb/query/program_catalog.hpp"

namespace opsdb {
namespace {

constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxShortName = 50;
constexpr std::size_t kMaxDescription = 10'000;

std::string text_field(const nlohmann::json& value, const std::string& name, std::size_t max) {
  if (!value.is_string()) throw ApiError(ErrorKind::bad_request, name + " must be a string");
  auto text = value.get<std::string>();
  if (text.empty() || text.size() > max) {
    throw ApiError(ErrorKind::bad_request,
                   name + " must have 1 to " + std::to_string(max) + " bytes");
  }
  if (text.find('\0') != std::string::npos) {
    throw ApiError(ErrorKind::bad_request, name + " must not contain NUL");
  }
  return text;
}

std::optional<std::string> nullable_text(const nlohmann::json& value, const std::string& name,
                                         std::size_t max) {
  if (value.is_null()) return std::nullopt;
  return text_field(value, name, max);
}

}  // namespace

ProgramFields parse_program_fields(const nlohmann::json& body, bool creating) {
  if (!body.is_object()) throw ApiError(ErrorKind::bad_request, "the body must be a JSON object");
  ProgramFields fields;
  for (const auto& [key, value] : body.items()) {
    if (key == "name") {
      fields.name = text_field(value, key, kMaxName);
    } else if (key == "short_name") {
      fields.short_name = nullable_text(value, key, kMaxShortName);
    } else if (key == "description") {
      fields.description = nullable_text(value, key, kMaxDescription);
    } else {
      throw ApiError(ErrorKind::bad_request,
                     "unknown field '" + key + "' (name, short_name and description are known)");
    }
  }
  if (creating && !fields.name) throw ApiError(ErrorKind::bad_request, "name is required");
  if (!creating && !fields.name && !fields.short_name && !fields.description) {
    throw ApiError(ErrorKind::bad_request,
                   "nothing to change: give name, short_name or description");
  }
  return fields;
}

}  // namespace opsdb
