#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "http_client.hpp"

namespace opsdb::test {

/// How a WebSocketClient connects.
struct WebSocketOptions {
  /// A client that reads too slowly: its socket gets a receive buffer of a few KiB before it
  /// connects, so that the server's writes stall as soon as the client stops calling next().
  bool slow = false;
  /// For connecting and the handshake.
  std::chrono::milliseconds timeout{5'000};
};

/// A WebSocket client for tests, synchronous with deadlines. It reads (and answers the server's
/// pings) only while one of its calls runs: a client that calls nothing for a while is a client
/// that neither reads nor answers pings.
class WebSocketClient {
 public:
  /// What connecting gave: the client when the server upgraded, and the handshake's answer
  /// (101, or the refusal with its status, headers and JSON body).
  struct Result {
    std::unique_ptr<WebSocketClient> client;
    HttpResult response;
  };

  /// Connects to 127.0.0.1:`port` and asks to upgrade `target`, with `headers` on the request.
  /// `Authorization` is the default one (set_default_authorization) unless `headers` names it
  /// (an empty value there sends none). Throws std::runtime_error when no answer comes in time.
  static Result connect(std::uint16_t port, const std::string& target,
                        const std::map<std::string, std::string>& headers = {},
                        const WebSocketOptions& options = {});

  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  /// The next text message, or nothing when none came within `timeout` or the connection
  /// ended first.
  std::optional<std::string> next(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Reads (and drops) messages until the connection ends or `timeout` passes; true when it
  /// ended.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Sends `text` as a text message; false when it could not be written within `timeout`.
  bool send(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Sends a close with `code` and waits up to `timeout` for the server's answer.
  void close(int code = 1000, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Whether the connection has ended, as far as the client has read.
  bool closed() const;
  /// The code of the server's close frame; 0 while open or when the connection ended without
  /// one (dropped).
  int close_code() const;
  std::string close_reason() const;
  /// Messages received so far (including those next() has returned).
  std::size_t received() const;

 private:
  struct Impl;
  explicit WebSocketClient(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace opsdb::test
