#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace opsdb::http {

/// A request target split into its percent-decoded parts.
struct ParsedTarget {
  std::string path;                          // decoded path, never empty ("/" at least)
  std::string raw_path;                      // path as sent, still percent-encoded (safe to log)
  std::map<std::string, std::string> query;  // decoded; '+' means space; first occurrence wins
};

/// Splits an origin-form (`/a/b?x=1`) or absolute-form (`http://host/a/b?x=1`) request target
/// into path and query and percent-decodes both. Returns nullopt for a target that is not a valid
/// URI reference of those forms (bad percent escapes, `*`, authority-form, an absolute URI with
/// a relative path such as `http:a/b`), or whose path or
/// parameters decode to a NUL or to bytes that are not UTF-8.
std::optional<ParsedTarget> parse_target(std::string_view target);

}  // namespace opsdb::http
