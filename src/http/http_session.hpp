#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "connection.hpp"
#include "connection_counters.hpp"
#include "opsdb/http/router.hpp"
#include "opsdb/http/server.hpp"
#include "websocket_session.hpp"

namespace opsdb::http {

/// What the server made of an upgrade a WebSocket route accepted.
enum class UpgradeOutcome { upgraded, full, stopping };

/// Builds the session that takes a connection over, given what it must call when it ends.
using WebSocketFactory =
    std::function<std::shared_ptr<Connection>(std::function<void()> on_closed)>;

/// The server's side of an upgrade: admits one more WebSocket client (or says why not) and,
/// only then, builds its session with `make` and tracks it in place of the HTTP session.
using UpgradeHandler = std::function<UpgradeOutcome(const WebSocketFactory& make)>;

/// One HTTP/1.1 connection: reads requests one at a time with a fresh size-limited parser,
/// dispatches each through the router and writes the response, keeping the connection alive
/// while the client wants it. All of its handlers run on the socket's strand.
///
/// Deadlines: the header of the first request must be complete `header_timeout` after the
/// connection was accepted; between requests the connection may be silent for `idle_timeout`,
/// after which the header must be complete `header_timeout` after its first byte; the body must
/// follow within `body_timeout`, a response be written within `write_timeout`. Pipelined requests
/// are parsed only once the one before is answered; the read buffer is bounded too.
///
/// A response that carries a feed accepts a WebSocket upgrade: the socket and the upgrade
/// request go to a WebSocketSession through `upgrade`, and this session ends without calling
/// `on_closed` (the WebSocket session reports its own end).
class HttpSession : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  /// `socket` must be bound to a strand. `on_closed` runs once, when the connection is closed
  /// (or at the latest when the session is destroyed), unless it became a WebSocket.
  HttpSession(boost::asio::ip::tcp::socket socket, const ServerOptions& options,
              std::shared_ptr<const Router> router, std::shared_ptr<ConnectionCounters> counters,
              std::function<void()> on_closed, UpgradeHandler upgrade);
  ~HttpSession() override;
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  /// Starts reading the first request.
  void run();

  /// Graceful stop, from any thread: an idle connection is closed at once; a request in flight
  /// gets its response (with `Connection: close`) and then the connection is closed.
  void stop() override;

  /// Closes the connection now, from any thread, whatever it is doing.
  void abort() override;

 private:
  enum class State { starting, waiting, reading, handling, writing, lingering, closed };
  using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
  using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

  template <class Step>
  void guarded(const char* step, Step&& step_fn);

  void do_read();
  void wait_for_request();
  void read_header();
  void on_header(boost::system::error_code ec);
  void on_read(boost::system::error_code ec);
  void on_read_failed(boost::system::error_code ec);
  void handle_request(BeastRequest&& beast_request);
  Respond make_respond();
  void on_response(Response response);
  void upgrade(std::shared_ptr<MessageFeed> feed);
  void reply_error(Response response);
  void write(Response response, bool keep_alive, bool linger);
  void on_write(boost::system::error_code ec, bool keep_alive, bool linger);
  void linger_then_close();
  void do_drain();
  void close_now();
  void notify_closed();
  void log_request(int status) const;
  bool idle() const;

  boost::beast::tcp_stream stream_;
  const boost::asio::any_io_executor executor_;  // the connection's strand; safe to copy anywhere
  const ServerOptions options_;
  const std::shared_ptr<const Router> router_;
  const std::shared_ptr<ConnectionCounters> counters_;
  std::function<void()> on_closed_;
  const UpgradeHandler upgrade_;
  const std::string remote_;  // peer address, for log lines

  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<BeastResponse> response_;  // alive while it is being written
  // The header of a request that asks for a WebSocket, kept for the handshake's answer.
  std::optional<WebSocketSession::UpgradeRequest> upgrade_request_;
  std::array<char, 4096> drain_buffer_{};

  State state_ = State::starting;
  bool stopping_ = false;
  bool first_request_ = true;  // its header deadline counts from the accept
  bool reading_body_ = false;  // which deadline a timeout broke
  // Describe the request in flight, for its log line and response.
  std::string method_;
  std::string log_path_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_request_ = false;
  std::chrono::steady_clock::time_point started_;
  std::string_view route_;  // pattern of the route serving it (owned by the router); empty: none
  std::string request_id_;  // echoed in X-Request-Id, named in handler failures
};

}  // namespace opsdb::http
