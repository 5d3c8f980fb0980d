#include "http_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string_view>
#include <utility>

#include "opsdb/core/error.hpp"
#include "opsdb/core/message_feed.hpp"
#include "opsdb/core/uuid.hpp"
#include "request_parse.hpp"

namespace opsdb::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr const char* kServerName = "ops-db-api";
// After an error response the session half-closes and reads whatever the client still sends:
// closing a socket with unread data resets the connection, and the client may then lose the
// response before reading it. This bounds how long that takes.
constexpr std::chrono::milliseconds kLingerTimeout{2'000};
// Method and path of a request whose request line could not be parsed.
constexpr const char* kUnknown = "-";
constexpr const char* kRequestIdHeader = "X-Request-Id";
// A client's request id longer than this is replaced rather than copied into every log line.
constexpr std::size_t kMaxRequestIdLength = 128;
// What the read buffer may hold beyond a complete header: one read's worth (Beast reads at most
// 64 KiB at a time). Bytes of pipelined requests beyond that stay in the kernel.
constexpr std::size_t kReadAhead = 64 * 1024;
// The first read of an idle keep-alive connection.
constexpr std::size_t kFirstRead = 4 * 1024;

std::string to_upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return result;
}

std::string to_lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

// The raw path of a target: still percent-encoded (no decoded control characters can reach the
// log) and without the query, which may carry tokens.
std::string path_of(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

std::string remote_address(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string(kUnknown) : endpoint.address().to_string();
}

// A client's request id is reused only if it cannot garble a log line or a header.
bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
}

// A random prefix per process and a counter: unique ids without a random draw per request.
std::string generated_request_id() {
  static const std::string prefix = new_uuid().substr(0, 8);
  static std::atomic<std::uint64_t> counter{0};
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, "%010llx",
                static_cast<unsigned long long>(counter.fetch_add(1) + 1));
  return prefix + "-" + suffix;
}

std::string request_id_of(std::string_view client_id) {
  return is_sane_request_id(client_id) ? std::string(client_id) : generated_request_id();
}

bool is_parse_error(boost::system::error_code ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// The peer went away, timed out or we closed the socket ourselves: normal, nothing to act on.
bool is_disconnect(boost::system::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == asio::error::operation_aborted || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == beast::error::timeout;
}

// Responses with these codes never carry a body (RFC 9110 §6.4.1).
bool is_bodyless(int status) {
  return status < 200 || status == 204 || status == 304;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != text.npos;
}

Response payload_too_large(std::size_t limit) {
  return error_response(
      ApiError(ErrorKind::payload_too_large, "request body too large", {{"limit_bytes", limit}}));
}

Response header_fields_too_large(std::size_t limit) {
  // ErrorKind has no 431; the body keeps the usual error document.
  auto response = error_response(ApiError(ErrorKind::bad_request, "request header fields too large",
                                          {{"limit_bytes", limit}}));
  response.status = 431;
  return response;
}

Response malformed_request(std::string_view reason) {
  return error_response(
      ApiError(ErrorKind::bad_request, "malformed HTTP request", {{"reason", reason}}));
}

Response too_many_websocket_clients(std::size_t limit) {
  // ErrorKind has no 429; the body keeps the usual error document.
  auto response =
      error_response(ApiError(ErrorKind::unavailable, "too many WebSocket clients; try again later",
                              {{"limit", limit}}, "too_many_requests"));
  response.status = 429;
  response.headers.emplace_back("Retry-After", "5");
  return response;
}

Response shutting_down() {
  return error_response(ApiError(ErrorKind::unavailable, "the server is shutting down"));
}

}  // namespace

HttpSession::HttpSession(tcp::socket socket, const ServerOptions& options,
                         std::shared_ptr<const Router> router,
                         std::shared_ptr<ConnectionCounters> counters,
                         std::function<void()> on_closed, UpgradeHandler upgrade)
    : stream_(std::move(socket)),
      executor_(stream_.get_executor()),
      options_(options),
      router_(std::move(router)),
      counters_(std::move(counters)),
      on_closed_(std::move(on_closed)),
      upgrade_(std::move(upgrade)),
      remote_(remote_address(stream_.socket())),
      buffer_(options.header_limit + kReadAhead) {}

HttpSession::~HttpSession() {
  notify_closed();
}

template <class Step>
void HttpSession::guarded(const char* step, Step&& step_fn) {
  try {
    step_fn();
    return;
  } catch (const std::exception& error) {
    spdlog::error("connection from {}: {} failed: {}", remote_, step, error.what());
  } catch (...) {
    spdlog::error("connection from {}: {} failed with a non-standard exception", remote_, step);
  }
  close_now();
}

void HttpSession::run() {
  asio::dispatch(executor_,
                 [self = shared_from_this()] { self->guarded("start", [&] { self->do_read(); }); });
}

void HttpSession::stop() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    self->guarded("stop", [&] {
      self->stopping_ = true;
      // A request in flight still gets its response, which then carries `Connection: close`.
      const bool waiting =
          self->state_ == State::waiting || (self->state_ == State::reading && self->idle());
      if (waiting || self->state_ == State::lingering) self->close_now();
    });
  });
}

void HttpSession::abort() {
  asio::dispatch(executor_, [self = shared_from_this()] { self->close_now(); });
}

void HttpSession::do_read() {
  if (stopping_) {
    close_now();
    return;
  }
  method_ = kUnknown;
  log_path_ = kUnknown;
  version_ = 11;
  keep_alive_ = false;
  head_request_ = false;
  // The first request's header deadline runs from the accept; a pipelined request already has
  // bytes in the buffer. Otherwise the connection idles until the next request begins.
  if (first_request_ || buffer_.size() > 0) {
    first_request_ = false;
    read_header();
    return;
  }
  wait_for_request();
}

void HttpSession::wait_for_request() {
  state_ = State::waiting;
  stream_.expires_after(options_.idle_timeout);
  stream_.async_read_some(
      buffer_.prepare(kFirstRead),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
        self->guarded("wait", [&] {
          if (self->state_ == State::closed) return;
          if (ec == beast::error::timeout) {
            ++self->counters_->idle_timeouts;
            spdlog::debug("connection from {} closed after {} ms idle", self->remote_,
                          self->options_.idle_timeout.count());
            self->close_now();
            return;
          }
          if (ec) {
            if (!is_disconnect(ec))
              spdlog::warn("reading from {} failed: {}", self->remote_, ec.message());
            self->close_now();
            return;
          }
          self->buffer_.commit(bytes);
          self->read_header();
        });
      });
}

void HttpSession::read_header() {
  state_ = State::reading;
  reading_body_ = false;
  // A fresh parser per request, so that limits and parser state never carry over.
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options_.header_limit, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(options_.body_limit);

  stream_.expires_after(options_.header_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                             self->guarded("read", [&] { self->on_header(ec); });
                           });
}

void HttpSession::on_header(boost::system::error_code ec) {
  if (state_ == State::closed) return;
  if (ec || parser_->is_done()) {
    on_read(ec);
    return;
  }
  reading_body_ = true;
  stream_.expires_after(options_.body_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->guarded("read", [&] { self->on_read(ec); });
                    });
}

void HttpSession::on_read(boost::system::error_code ec) {
  if (state_ == State::closed) return;
  started_ = std::chrono::steady_clock::now();
  route_ = {};
  request_id_ = request_id_of(parser_->get()[kRequestIdHeader]);
  if (!ec) {
    handle_request(parser_->release());
    return;
  }
  on_read_failed(ec);
}

void HttpSession::on_read_failed(boost::system::error_code ec) {
  // The request line may have been parsed before the failure; name it in the log line.
  const auto& partial = parser_->get();
  if (!partial.method_string().empty()) {
    method_ = to_upper(partial.method_string());
    log_path_ = path_of(partial.target());
    version_ = partial.version();
  }
  if (ec == bhttp::error::body_limit) {
    reply_error(payload_too_large(options_.body_limit));
    return;
  }
  if (ec == bhttp::error::header_limit) {
    reply_error(header_fields_too_large(options_.header_limit));
    return;
  }
  if (ec == beast::error::timeout) {
    // A client this slow is cut off without an answer: writing one could block as well.
    ++(reading_body_ ? counters_->body_timeouts : counters_->header_timeouts);
    spdlog::debug("connection from {} closed: {} not complete in time", remote_,
                  reading_body_ ? "request body" : "request header");
    close_now();
    return;
  }
  if (is_disconnect(ec)) {
    spdlog::debug("connection from {} ended: {}", remote_, ec.message());
    close_now();
    return;
  }
  if (is_parse_error(ec)) {
    spdlog::debug("malformed request from {}: {}", remote_, ec.message());
    reply_error(malformed_request(ec.message()));
    return;
  }
  spdlog::warn("reading from {} failed: {}", remote_, ec.message());
  close_now();
}

void HttpSession::handle_request(BeastRequest&& beast_request) {
  state_ = State::handling;
  method_ = to_upper(beast_request.method_string());
  log_path_ = path_of(beast_request.target());
  version_ = beast_request.version();
  keep_alive_ = beast_request.keep_alive();
  head_request_ = beast_request.method() == bhttp::verb::head;

  auto target = parse_target(beast_request.target());
  if (!target) {
    reply_error(malformed_request("bad request target"));
    return;
  }
  Request request;
  request.method = method_;
  request.target = std::string(beast_request.target());
  request.path = std::move(target->path);
  request.query = std::move(target->query);
  for (const auto& field : beast_request) {
    auto [it, inserted] = request.headers.try_emplace(to_lower(field.name_string()), field.value());
    // Repeated fields are one comma-separated list (RFC 9110 §5.3).
    if (!inserted) it->second.append(", ").append(field.value());
  }
  request.body = std::move(beast_request.body());
  upgrade_request_.reset();
  if (is_websocket_upgrade(request)) upgrade_request_.emplace(beast_request.base());

  Respond respond = make_respond();
  try {
    const Route* route =
        router_->dispatch(std::move(request), RequestContext{request_id_, remote_, {}}, respond);
    if (route != nullptr) route_ = route->pattern;
  } catch (const std::exception& error) {
    // The router already turns handler exceptions into responses; this is the router failing.
    spdlog::error("dispatching {} {} failed: {}", method_, log_path_, error.what());
    respond(error_response(ApiError(ErrorKind::internal, "internal error")));
  }
}

Respond HttpSession::make_respond() {
  auto responded = std::make_shared<std::atomic<bool>>(false);
  // Holding `self` keeps the session alive until the handler answers, even after a stop.
  return [self = shared_from_this(), responded](Response response) {
    if (responded->exchange(true)) {
      spdlog::error("second response to one request from {} dropped", self->remote_);
      return;
    }
    // Handlers answer from any thread (database workers); the socket is used on its strand only.
    asio::post(self->executor_, [self, response = std::move(response)]() mutable {
      self->guarded("respond", [&] { self->on_response(std::move(response)); });
    });
  };
}

void HttpSession::on_response(Response response) {
  if (state_ != State::handling) {
    spdlog::debug("response {} to {} {} from {} dropped: connection already closed",
                  response.status, method_, log_path_, remote_);
    if (response.feed) response.feed->end();
    return;
  }
  if (response.feed) {
    upgrade(std::move(response.feed));
    return;
  }
  write(std::move(response), keep_alive_ && !stopping_, false);
}

void HttpSession::upgrade(std::shared_ptr<MessageFeed> feed) {
  if (!upgrade_request_) {
    // The router lets only upgrade requests reach a WebSocket route: this handler is wrong.
    spdlog::error("{} {} accepted a WebSocket for a request that asked for none", method_,
                  log_path_);
    feed->end();
    write(error_response(ApiError(ErrorKind::internal, "internal error")), false, false);
    return;
  }
  std::shared_ptr<WebSocketSession> websocket;
  const WebSocketFactory make = [&](std::function<void()> on_closed) {
    websocket = std::make_shared<WebSocketSession>(
        stream_.release_socket(), feed, options_,
        WebSocketSession::Peer{remote_, log_path_, request_id_}, std::move(on_closed));
    return std::shared_ptr<Connection>(websocket);
  };
  const auto outcome = stopping_ ? UpgradeOutcome::stopping : upgrade_(make);
  if (outcome == UpgradeOutcome::full) {
    feed->end();
    ++counters_->refused_websockets;
    write(too_many_websocket_clients(options_.max_websocket_clients), keep_alive_ && !stopping_,
          false);
    return;
  }
  if (outcome == UpgradeOutcome::stopping) {
    feed->end();
    write(shutting_down(), false, false);
    return;
  }
  log_request(101);
  // The socket and the server's record of it are the WebSocket session's now.
  state_ = State::closed;
  on_closed_ = nullptr;
  websocket->run(std::move(*upgrade_request_));
}

void HttpSession::reply_error(Response response) {
  write(std::move(response), false, true);
}

void HttpSession::write(Response response, bool keep_alive, bool linger) {
  if (response.status < 100 || response.status > 599) {
    spdlog::error("{} {} answered with invalid status {}", method_, log_path_, response.status);
    response = error_response(ApiError(ErrorKind::internal, "internal error"));
  }
  auto& out = response_.emplace();
  out.version(version_);
  out.result(static_cast<unsigned>(response.status));
  for (const auto& [name, value] : response.headers) {
    if (has_line_break(name) || has_line_break(value)) {
      spdlog::error("{} {}: dropped response header {} with a line break", method_, log_path_,
                    name);
      continue;
    }
    out.insert(name, value);
  }
  // A handler that names the request itself (a proxy's id it passes on) is not overridden.
  if (out.find(kRequestIdHeader) == out.end()) out.set(kRequestIdHeader, request_id_);
  // Set after the extra headers so that these always win.
  out.set(bhttp::field::server, kServerName);
  if (!response.content_type.empty()) out.set(bhttp::field::content_type, response.content_type);
  out.keep_alive(keep_alive);
  if (!is_bodyless(response.status)) {
    out.body() = std::move(response.body);
    out.prepare_payload();
    if (head_request_) {
      // A HEAD response announces the length of the body it does not carry.
      out.body().clear();
    }
  }
  log_request(response.status);

  state_ = State::writing;
  // A client that does not read its response is cut off like one that does not send.
  stream_.expires_after(options_.write_timeout);
  bhttp::async_write(
      stream_, *response_,
      [self = shared_from_this(), keep_alive, linger](boost::system::error_code ec, std::size_t) {
        self->guarded("write", [&] { self->on_write(ec, keep_alive, linger); });
      });
}

void HttpSession::on_write(boost::system::error_code ec, bool keep_alive, bool linger) {
  response_.reset();
  if (ec) {
    if (is_disconnect(ec)) {
      spdlog::debug("writing to {} ended: {}", remote_, ec.message());
    } else {
      spdlog::warn("writing to {} failed: {}", remote_, ec.message());
    }
    close_now();
    return;
  }
  if (linger) {
    linger_then_close();
    return;
  }
  if (!keep_alive) {
    close_now();
    return;
  }
  do_read();
}

void HttpSession::linger_then_close() {
  if (stopping_) {
    close_now();
    return;
  }
  state_ = State::lingering;
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    close_now();
    return;
  }
  stream_.expires_after(
      std::min<std::chrono::milliseconds>(options_.header_timeout, kLingerTimeout));
  do_drain();
}

void HttpSession::do_drain() {
  stream_.async_read_some(asio::buffer(drain_buffer_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                            self->guarded("drain", [&] {
                              if (ec) {
                                self->close_now();
                              } else {
                                self->do_drain();
                              }
                            });
                          });
}

void HttpSession::close_now() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  boost::system::error_code ec;
  // Half-close first so the peer sees a clean end of stream after the last response.
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.close();
  notify_closed();
}

void HttpSession::notify_closed() {
  auto on_closed = std::exchange(on_closed_, nullptr);
  if (!on_closed) return;
  try {
    on_closed();
  } catch (const std::exception& error) {
    spdlog::error("connection from {}: close notification failed: {}", remote_, error.what());
  }
}

void HttpSession::log_request(int status) const {
  const auto took = std::chrono::steady_clock::now() - started_;
  const std::chrono::duration<double, std::milli> elapsed = took;
  spdlog::info("{} {} {} {:.3f}ms {}", method_, log_path_, status, elapsed.count(), remote_);
  if (options_.on_request) options_.on_request(RequestRecord{route_, method_, status, took});
}

bool HttpSession::idle() const {
  return parser_.has_value() && !parser_->got_some() && buffer_.size() == 0;
}

}  // namespace opsdb::http
