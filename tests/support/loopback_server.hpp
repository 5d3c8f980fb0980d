#pragma once

#include <chrono>

#include "opsdb/http/server.hpp"

namespace opsdb::test {

/// Options of a server for tests: an ephemeral port on the loopback interface, and limits of
/// 5 s, far beyond what a test waits but short enough that a stuck one ends.
inline http::ServerOptions loopback_server_options() {
  using namespace std::chrono_literals;
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.header_timeout = 5s;
  options.idle_timeout = 5s;
  options.body_timeout = 5s;
  options.write_timeout = 5s;
  options.shutdown_grace = 5s;
  return options;
}

}  // namespace opsdb::test
