#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "opsdb/http/router.hpp"

namespace boost::asio {
class io_context;
}

namespace opsdb::http {

/// One answered request, as the server reports it to its observer (metrics).
struct RequestRecord {
  std::string_view route;   // pattern of the route that served it; empty when none matched
  std::string_view method;  // as the client sent it
  int status = 0;
  std::chrono::steady_clock::duration took{};  // from the end of the request's header
};

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8000;             // 0 = pick a free port (tests)
  std::size_t header_limit = 16 * 1024;  // bytes; larger headers get 431
  std::size_t body_limit = 1024 * 1024;  // bytes; larger bodies get 413
  /// Connections served at once; one more is answered 503 (or just closed) and counted.
  std::size_t max_connections = 1024;
  /// A new connection must deliver its first complete header within this; a later request on a
  /// keep-alive connection within this after its first byte (slowloris).
  std::chrono::milliseconds header_timeout{10'000};
  /// A keep-alive connection waiting for its next request is closed after this.
  std::chrono::milliseconds idle_timeout{30'000};
  /// From the end of a request's header to the end of its body.
  std::chrono::milliseconds body_timeout{30'000};
  /// Writing one response (a client that does not read is cut off).
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_grace{10'000};  // in-flight requests get this long on stop
  /// WebSocket clients served at once (they count as connections too); one more upgrade is
  /// answered 429 with `Retry-After` instead.
  std::size_t max_websocket_clients = 100;
  /// A WebSocket client silent this long is pinged; one silent for two intervals (no pong, no
  /// message) is dropped.
  std::chrono::milliseconds websocket_ping_interval{15'000};
  /// Called once per answered request, on the connection's strand; must be quick and
  /// thread-safe. Empty: nobody is told.
  std::function<void(const RequestRecord&)> on_request{};
};

/// What the server has seen so far; counters only grow. Read from any thread.
struct ServerStats {
  std::size_t open_connections = 0;
  std::uint64_t accepted_connections = 0;  // served, not counting refused ones
  std::uint64_t refused_connections = 0;   // over max_connections: answered 503 or closed
  std::uint64_t header_timeouts = 0;       // closed: no complete header in time
  std::uint64_t idle_timeouts = 0;         // keep-alive connections closed while idle
  std::uint64_t body_timeouts = 0;         // closed: body not complete in time
  /// Of `open_connections`, those upgraded to WebSocket.
  std::size_t open_websocket_clients = 0;
  /// WebSocket upgrades answered 429 (over `max_websocket_clients`).
  std::uint64_t refused_websocket_clients = 0;
};

/// HTTP/1.1 server on Beast: accepts on `io`, one strand per connection, dispatches each request
/// through the router and writes one log line per request; a request a WebSocket route accepts
/// becomes a WebSocket connection. Runs on whatever threads run `io`.
///
/// Hostile clients are bounded: at most `max_connections` at once, a deadline for every header,
/// body, idle wait and write, size limits for header and body, and pipelined requests answered
/// one at a time in order (no request is parsed before the one ahead of it is answered, so what
/// is read ahead is at most one read of 64 KiB; the rest waits in the kernel's socket buffer).
class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, std::shared_ptr<const Router> router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and starts accepting. Throws std::runtime_error if the address cannot be bound.
  void start();

  /// The bound port (useful when options.port was 0).
  std::uint16_t port() const;

  /// Connection counters now (for /metrics and the like).
  ServerStats stats() const;

  /// Graceful stop: closes the acceptor at once, lets in-flight requests finish, closes idle
  /// connections and closes WebSocket clients with 1001 (going away); connections still busy
  /// after `shutdown_grace` are closed. `on_stopped` runs (on the io_context) when no
  /// connection is left.
  void stop(std::function<void()> on_stopped);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace opsdb::http
