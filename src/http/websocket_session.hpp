#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "connection.hpp"
#include "opsdb/core/message_feed.hpp"
#include "opsdb/http/server.hpp"

namespace opsdb::http {

/// One WebSocket connection, taken over from the HttpSession whose upgrade request a WebSocket
/// route accepted: sends what the client's MessageFeed holds as text messages, one at a time in
/// order, and closes the way the feed asks. All of its handlers run on the socket's strand.
///
/// Bounded like the HTTP side: a client that answers no ping for two ping intervals is dropped;
/// what a client sends is read only to see its pongs and its close, and no message of it may
/// exceed 4 KiB; once the connection is to close (the feed asks, the server stops) whatever is
/// still under way, a write to a client that does not read included, gets two seconds before
/// the socket is closed.
class WebSocketSession : public Connection, public std::enable_shared_from_this<WebSocketSession> {
 public:
  /// The header of the upgrade request the session answers.
  using UpgradeRequest = boost::beast::http::request<boost::beast::http::empty_body>;

  /// Who the client is, for the log line at the end of the connection.
  struct Peer {
    std::string remote_address{};
    std::string path{};  // without the query, which may carry a token
    std::string request_id{};
  };

  /// `socket` must be bound to a strand. `on_closed` runs once, when the connection has ended
  /// (or at the latest when the session is destroyed); the feed is ended then too.
  WebSocketSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<MessageFeed> feed,
                   const ServerOptions& options, Peer peer, std::function<void()> on_closed);
  ~WebSocketSession() override;
  WebSocketSession(const WebSocketSession&) = delete;
  WebSocketSession& operator=(const WebSocketSession&) = delete;

  /// Answers the upgrade request with 101, then sends what the feed holds.
  void run(UpgradeRequest request);

  /// Closes with 1001 (going away) once the write under way is done, from any thread.
  void stop() override;

  /// Closes the socket now, from any thread.
  void abort() override;

 private:
  template <class Step>
  void guarded(const char* step, Step&& step_fn);

  void on_accept(boost::system::error_code ec);
  void do_read();
  void on_read(boost::system::error_code ec);
  void on_wake();
  void pump();
  void on_write(boost::system::error_code ec);
  void request_close(FeedClose close);
  void start_close(FeedClose close);
  void on_close(boost::system::error_code ec);
  void arm_close_deadline();
  void on_close_deadline();
  void finish(const std::string& how);
  void notify_closed();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  const boost::asio::any_io_executor executor_;  // the connection's strand
  const std::shared_ptr<MessageFeed> feed_;
  const std::chrono::milliseconds ping_interval_;
  const std::chrono::milliseconds handshake_timeout_;
  const Peer peer_;
  std::function<void()> on_closed_;
  boost::asio::steady_timer close_deadline_;
  const std::chrono::steady_clock::time_point started_;

  UpgradeRequest upgrade_request_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<MessageFeed::Message> queue_;  // taken from the feed, not yet written
  MessageFeed::Message in_flight_;          // being written: alive until the write is done
  std::optional<FeedClose> close_;          // to send once `queue_` is written
  std::string close_description_;           // the close sent, for the log line
  std::uint64_t sent_ = 0;                  // messages written
  bool accepted_ = false;
  bool writing_ = false;
  bool close_sent_ = false;
  bool deadline_armed_ = false;
  bool stopping_ = false;
  bool finished_ = false;
};

}  // namespace opsdb::http
