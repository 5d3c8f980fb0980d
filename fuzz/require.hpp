#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "opsdb/http/message.hpp"

namespace opsdb::fuzz {

/// Stops the run with `what` when `ok` is false: libFuzzer keeps the input as a crash.
inline void require(bool ok, const char* what, const std::string& detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n%s\n", what, detail.c_str());
  std::abort();
}

/// A response from outside input must never be a server error.
inline void require_no_server_error(const std::optional<http::Response>& response,
                                    const http::Request& request) {
  if (!response) return;
  require(response->status < 500, "input from a client produced a 5xx",
          request.method + " " + request.target + "\n" + response->body);
}

/// A query string as "k=v&k2=v2", split without decoding (the fuzzer reaches every byte value
/// directly); the first occurrence of a key wins, as in the HTTP layer.
inline std::map<std::string, std::string> split_query(const std::string& text) {
  std::map<std::string, std::string> query;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto end = text.find('&', at);
    if (end == std::string::npos) end = text.size();
    const auto pair = text.substr(at, end - at);
    const auto eq = pair.find('=');
    query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    at = end + 1;
  }
  return query;
}

}  // namespace opsdb::fuzz
