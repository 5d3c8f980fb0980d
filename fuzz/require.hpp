#pragma once

#include <cstdio>
#include <cstdlib>
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

}  // namespace opsdb::fuzz
