#include "websocket_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <string_view>
#include <utility>

namespace opsdb::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

constexpr const char* kServerName = "ops-db-api";
// Clients are only read to see their pongs and their close; no message of theirs means
// anything, so none needs to be large.
constexpr std::size_t kReadMessageMax = 4 * 1024;
// Once the connection is to close, the write under way and the close handshake must be done
// within this; then the socket is closed (a client that does not read would hold it forever).
constexpr std::chrono::milliseconds kCloseTimeout{2'000};
// RFC 6455 §5.5: a control frame carries at most 125 bytes, two of them the code.
constexpr std::size_t kMaxCloseReason = 123;
// The kernel's send buffer of a WebSocket (Linux doubles it). Left to autotuning it grows to
// megabytes for a client that does not read, hiding it from the feed's bounds; at this size a
// stalled client shows within a few hundred messages, and a client that reads keeps up.
constexpr int kSendBuffer = 128 * 1024;
constexpr std::uint16_t kGoingAway = 1001;
constexpr std::uint16_t kInternalError = 1011;

// RFC 6455 §7.4: the codes an endpoint may send.
bool is_sendable_close_code(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1013) ||
         (code >= 3000 && code <= 4999);
}

// At most kMaxCloseReason bytes, not cut inside a UTF-8 sequence (the reason must be UTF-8).
std::string close_reason_text(std::string reason) {
  if (reason.size() <= kMaxCloseReason) return reason;
  reason.resize(kMaxCloseReason);
  while (!reason.empty() && (static_cast<unsigned char>(reason.back()) & 0xC0) == 0x80) {
    reason.pop_back();
  }
  if (!reason.empty() && (static_cast<unsigned char>(reason.back()) & 0x80) != 0) {
    reason.pop_back();
  }
  return reason;
}

// A client's close reason as it may appear in a log line: no line breaks or other controls.
std::string printable(std::string_view text) {
  std::string result;
  for (char c : text) result.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  return result;
}

std::string describe_close(const char* who, int code, std::string_view reason) {
  std::string text = std::string("closed by the ") + who + " with " + std::to_string(code);
  if (!reason.empty()) text += " (" + printable(reason) + ")";
  return text;
}

}  // namespace

WebSocketSession::WebSocketSession(tcp::socket socket, std::shared_ptr<MessageFeed> feed,
                                   const ServerOptions& options, Peer peer,
                                   std::function<void()> on_closed)
    : ws_(std::move(socket)),
      executor_(ws_.get_executor()),
      feed_(std::move(feed)),
      ping_interval_(options.websocket_ping_interval),
      handshake_timeout_(options.write_timeout),
      peer_(std::move(peer)),
      on_closed_(std::move(on_closed)),
      close_deadline_(executor_),
      started_(std::chrono::steady_clock::now()) {}

WebSocketSession::~WebSocketSession() {
  // A session that never ran (or whose io_context went away) still releases its subscription.
  feed_->end();
  notify_closed();
}

template <class Step>
void WebSocketSession::guarded(const char* step, Step&& step_fn) {
  try {
    step_fn();
    return;
  } catch (const std::exception& error) {
    spdlog::error("WebSocket {} from {}: {} failed: {}", peer_.path, peer_.remote_address, step,
                  error.what());
  } catch (...) {
    spdlog::error("WebSocket {} from {}: {} failed with a non-standard exception", peer_.path,
                  peer_.remote_address, step);
  }
  finish(std::string(step) + " failed");
}

void WebSocketSession::run(UpgradeRequest request) {
  asio::dispatch(executor_, [self = shared_from_this(), request = std::move(request)]() mutable {
    self->guarded("handshake", [&] {
      // The request must outlive the handshake, which answers it.
      self->upgrade_request_ = std::move(request);
      websocket::stream_base::timeout timeouts;
      timeouts.handshake_timeout = self->handshake_timeout_;
      if (self->ping_interval_.count() > 0) {
        // Beast pings after half the idle timeout without a byte from the client and drops it
        // after the whole: a ping after one interval of silence, the end after two.
        timeouts.idle_timeout = 2 * self->ping_interval_;
        timeouts.keep_alive_pings = true;
      }
      self->ws_.set_option(timeouts);
      // The WebSocket's own timeouts replace the stream's.
      beast::get_lowest_layer(self->ws_).expires_never();
      self->ws_.read_message_max(kReadMessageMax);
      boost::system::error_code ignored;  // without it the default buffer serves, unbounded
      beast::get_lowest_layer(self->ws_).socket().set_option(
          asio::socket_base::send_buffer_size(kSendBuffer), ignored);
      self->ws_.set_option(websocket::stream_base::decorator(
          [request_id = self->peer_.request_id](websocket::response_type& response) {
            response.set(beast::http::field::server, kServerName);
            response.set("X-Request-Id", request_id);
          }));
      self->ws_.async_accept(self->upgrade_request_, [self](boost::system::error_code ec) {
        self->guarded("handshake", [&] { self->on_accept(ec); });
      });
    });
  });
}

void WebSocketSession::stop() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    self->guarded("stop", [&] {
      self->stopping_ = true;
      // A handshake under way closes when it is done (on_accept).
      if (self->accepted_) self->request_close(FeedClose{kGoingAway, "server shutting down"});
    });
  });
}

void WebSocketSession::abort() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    self->finish("closed hard: the server's shutdown grace ran out");
  });
}

void WebSocketSession::on_accept(boost::system::error_code ec) {
  // Answered: its target may hold the client's token, which need not stay in memory.
  upgrade_request_ = {};
  if (finished_) return;
  if (ec) {
    finish("handshake failed: " + ec.message());
    return;
  }
  accepted_ = true;
  std::weak_ptr<WebSocketSession> weak = shared_from_this();
  // Called on a publisher's thread: it only schedules the work on this connection's strand.
  feed_->on_ready([weak, executor = executor_] {
    asio::post(executor, [weak] {
      if (auto self = weak.lock()) self->guarded("send", [&] { self->on_wake(); });
    });
  });
  do_read();
  if (stopping_) request_close(FeedClose{kGoingAway, "server shutting down"});
}

void WebSocketSession::do_read() {
  ws_.async_read(read_buffer_,
                 [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                   self->guarded("read", [&] { self->on_read(ec); });
                 });
}

void WebSocketSession::on_read(boost::system::error_code ec) {
  if (finished_) return;
  if (!ec) {
    // What a client says is not listened to; reading it lets its pongs and close through.
    read_buffer_.consume(read_buffer_.size());
    do_read();
    return;
  }
  if (ec == websocket::error::closed) {
    // Our own close answered, or the client's close (which Beast has answered already).
    const auto& reason = ws_.reason();
    finish(close_sent_
               ? close_description_
               : describe_close("client", reason.code,
                                std::string_view(reason.reason.data(), reason.reason.size())));
    return;
  }
  if (ec == beast::error::timeout) {
    finish(close_sent_ ? close_description_ + ", then the close handshake timed out"
                       : "dropped: no answer to pings for " +
                             std::to_string(2 * ping_interval_.count()) + " ms");
    return;
  }
  if (ec == websocket::error::message_too_big) {
    finish("closed by the server with 1009: the client sent a message over " +
           std::to_string(kReadMessageMax) + " bytes");
    return;
  }
  finish("connection lost: " + ec.message());
}

void WebSocketSession::on_wake() {
  if (finished_ || !accepted_) return;
  // A write to a client that does not read may never end; the close is due regardless.
  if (feed_->closing()) arm_close_deadline();
  if (!writing_ && !close_sent_) pump();
}

// Writes the next message taken from the feed, or sends the close it asked for; takes from the
// feed again only once everything taken before is written, so that the feed's limits bound
// what waits for a slow client.
void WebSocketSession::pump() {
  if (queue_.empty() && !close_) {
    auto batch = feed_->take();
    queue_.assign(std::make_move_iterator(batch.messages.begin()),
                  std::make_move_iterator(batch.messages.end()));
    close_ = std::move(batch.close);
  }
  if (!queue_.empty()) {
    writing_ = true;
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    ws_.text(true);
    ws_.async_write(asio::buffer(*in_flight_),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->guarded("write", [&] { self->on_write(ec); });
                    });
    return;
  }
  if (close_) start_close(*close_);
}

void WebSocketSession::on_write(boost::system::error_code ec) {
  writing_ = false;
  in_flight_.reset();
  if (finished_) return;
  if (ec) {
    finish("connection lost while writing: " + ec.message());
    return;
  }
  ++sent_;
  if (!close_sent_) pump();
}

// A close of the server's own (shutdown): what is still queued is dropped.
void WebSocketSession::request_close(FeedClose close) {
  if (finished_ || close_sent_) return;
  queue_.clear();
  if (!close_) close_ = std::move(close);
  arm_close_deadline();
  if (!writing_) start_close(*close_);
}

void WebSocketSession::start_close(FeedClose close) {
  close_sent_ = true;
  arm_close_deadline();
  if (!is_sendable_close_code(close.code)) {
    spdlog::error("WebSocket {}: close code {} cannot be sent; sending {}", peer_.path, close.code,
                  kInternalError);
    close.code = kInternalError;
  }
  close.reason = close_reason_text(std::move(close.reason));
  close_description_ = describe_close("server", close.code, close.reason);
  // The client's close crossed ours: Beast is answering it, and the read ends the session.
  if (!ws_.is_open()) return;
  ws_.async_close(
      websocket::close_reason(static_cast<websocket::close_code>(close.code), close.reason),
      [self = shared_from_this()](boost::system::error_code ec) {
        self->guarded("close", [&] { self->on_close(ec); });
      });
}

void WebSocketSession::on_close(boost::system::error_code ec) {
  if (finished_) return;
  finish(ec ? close_description_ + ", then the close handshake failed: " + ec.message()
            : close_description_);
}

void WebSocketSession::arm_close_deadline() {
  if (deadline_armed_) return;
  deadline_armed_ = true;
  close_deadline_.expires_after(kCloseTimeout);
  close_deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;
    self->guarded("close", [&] { self->on_close_deadline(); });
  });
}

void WebSocketSession::on_close_deadline() {
  if (finished_) return;
  std::string asked = close_description_;
  if (!close_sent_) {
    // The close the feed asked for never got past the stuck write; name it in the log.
    if (!close_) close_ = feed_->take().close;
    asked = close_ ? describe_close("server", close_->code, close_->reason) : "closing";
  }
  finish("closed hard: " + asked + " not done within " + std::to_string(kCloseTimeout.count()) +
         " ms (the client does not read)");
}

void WebSocketSession::finish(const std::string& how) {
  if (finished_) return;
  finished_ = true;
  close_deadline_.cancel();
  // Also ends what Beast still has under way; their handlers see `finished_`.
  beast::get_lowest_layer(ws_).close();
  feed_->end();
  const std::chrono::duration<double> lived = std::chrono::steady_clock::now() - started_;
  spdlog::info("WebSocket {} from {} (request {}) ended after {:.1f}s, {} message(s) sent: {}",
               peer_.path, peer_.remote_address, peer_.request_id, lived.count(), sent_, how);
  notify_closed();
}

void WebSocketSession::notify_closed() {
  auto on_closed = std::exchange(on_closed_, nullptr);
  if (!on_closed) return;
  try {
    on_closed();
  } catch (const std::exception& error) {
    spdlog::error("WebSocket {} from {}: close notification failed: {}", peer_.path,
                  peer_.remote_address, error.what());
  }
}

}  // namespace opsdb::http
