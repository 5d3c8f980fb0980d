#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace opsdb::test {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names

  /// The body parsed as JSON (null when it is not JSON).
  nlohmann::json json() const;
};

/// The `Authorization` value every request carries unless its headers name one (an empty value
/// there sends none). `prepare_database` sets it to the suite's administrator token.
void set_default_authorization(std::string value);
const std::string& default_authorization();

/// A blocking HTTP/1.1 client for tests: one request per connection, with a deadline.
HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::map<std::string, std::string>& headers = {},
                        int timeout_ms = 10'000);

inline HttpResult http_get(std::uint16_t port, const std::string& target) {
  return http_request(port, "GET", target);
}

inline HttpResult http_json(std::uint16_t port, const std::string& method,
                            const std::string& target, const nlohmann::json& body) {
  return http_request(port, method, target, body.dump(), {{"Content-Type", "application/json"}});
}

}  // namespace opsdb::test
