#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "opsdb/http/router.hpp"

namespace boost::asio {
class io_context;
}

namespace opsdb::http {

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8000;                         // 0 = pick a free port (tests)
  std::size_t header_limit = 16 * 1024;              // bytes; larger headers get 431
  std::size_t body_limit = 1024 * 1024;              // bytes; larger bodies get 413
  std::chrono::milliseconds read_timeout{30'000};    // idle keep-alive / slow client limit
  std::chrono::milliseconds shutdown_grace{10'000};  // in-flight requests get this long on stop
};

/// HTTP/1.1 server on Beast: accepts on `io`, one strand per connection, dispatches each request
/// through the router and writes one log line per request. Runs on whatever threads run `io`.
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

  /// Graceful stop: closes the acceptor at once, lets in-flight requests finish and closes idle
  /// connections; connections still busy after `shutdown_grace` are closed. `on_stopped` runs
  /// (on the io_context) when no connection is left.
  void stop(std::function<void()> on_stopped);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace opsdb::http
