#include "request_parse.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "opsdb/core/utf8.hpp"

namespace opsdb::http {
namespace {

// A decoded NUL has no business in a path or parameter and would surprise any C API later;
// bytes that are not UTF-8 could not be quoted in a JSON answer or stored in PostgreSQL.
bool unusable(const std::string& text) {
  return text.find('\0') != std::string::npos || !is_valid_utf8(text);
}

boost::urls::result<boost::urls::url_view> parse_request_uri(std::string_view target) {
  auto origin = boost::urls::parse_origin_form(target);
  if (origin) return origin;
  // Clients talking to a proxy send the absolute form, and RFC 9112 §3.2.2 says a server
  // must accept it too.
  return boost::urls::parse_absolute_uri(target);
}

}  // namespace

std::optional<ParsedTarget> parse_target(std::string_view target) {
  auto parsed = parse_request_uri(target);
  if (!parsed) return std::nullopt;
  const boost::urls::url_view& url = *parsed;

  ParsedTarget result;
  result.raw_path = std::string(url.encoded_path());
  result.path = url.path();
  if (result.path.empty()) {
    // "http://host" and "http://host?x" address the root.
    result.path = "/";
    result.raw_path = "/";
  }
  // "http:a/b" is an absolute URI with a relative path: no request target of HTTP.
  if (result.path.front() != '/') return std::nullopt;
  if (unusable(result.path)) return std::nullopt;

  for (const auto& param : url.params()) {
    if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2"
    if (unusable(param.key) || unusable(param.value)) return std::nullopt;
    result.query.emplace(param.key, param.value);
  }
  return result;
}

}  // namespace opsdb::http
