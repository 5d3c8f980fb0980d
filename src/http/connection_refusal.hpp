#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>
#include <memory>
#include <string>

namespace opsdb::http {

/// Answers a connection the server will not serve (over its connection limit) with a fixed 503
/// and closes it: writes the response, half-closes, reads what the client still sends for a
/// moment (closing with unread data would reset the connection and could destroy the answer
/// before the client reads it), then closes. Every step has a short deadline.
class ConnectionRefusal : public std::enable_shared_from_this<ConnectionRefusal> {
 public:
  /// `socket` must be bound to a strand. `response` is the complete HTTP response, shared by
  /// every refusal. `on_done` runs once, when the socket is closed.
  ConnectionRefusal(boost::asio::ip::tcp::socket socket,
                    std::shared_ptr<const std::string> response, std::function<void()> on_done);
  ~ConnectionRefusal();
  ConnectionRefusal(const ConnectionRefusal&) = delete;
  ConnectionRefusal& operator=(const ConnectionRefusal&) = delete;

  void run();

  /// The response a refused connection gets: 503 with the usual JSON error document.
  static std::string render_response(std::size_t max_connections);

 private:
  void on_write(boost::system::error_code ec);
  void do_drain();
  void finish();

  boost::beast::tcp_stream stream_;
  const std::shared_ptr<const std::string> response_;
  std::function<void()> on_done_;
  std::array<char, 1024> scratch_{};
};

}  // namespace opsdb::http
