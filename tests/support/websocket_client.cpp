#include "websocket_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <deque>
#include <memory>
#include <stdexcept>
#include <utility>

#include "beast_messages.hpp"

namespace opsdb::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Linux makes a few KiB of this; small enough that a server's writes stall at once.
constexpr int kSlowReceiveBuffer = 1024;

}  // namespace

// Everything runs on `io`, and only inside a call of the client: one read stays pending between
// calls, so a client that calls nothing reads nothing.
struct WebSocketClient::Impl {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
  std::deque<std::string> messages;
  std::size_t received = 0;
  bool ended = false;
  int close_code = 0;
  std::string close_reason;

  // Runs `io` until `done` holds or `deadline` passes; whether `done` holds.
  template <class Done>
  bool run_until(Done done, Clock::time_point deadline) {
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      if (io.stopped()) io.restart();
      if (io.run_one_until(deadline) == 0 && io.stopped() && !done()) return false;
    }
    return true;
  }

  void read_next() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        // The server's close frame, if one came: the read ends with `closed`, or with what
        // ended the close handshake that the client's own close started.
        ended = true;
        close_code = ws.reason().code;
        close_reason = std::string(ws.reason().reason.data(), ws.reason().reason.size());
        return;
      }
      messages.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      ++received;
      read_next();
    });
  }
};

WebSocketClient::WebSocketClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebSocketClient::~WebSocketClient() {
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
}

WebSocketClient::Result WebSocketClient::connect(std::uint16_t port, const std::string& target,
                                                 const std::map<std::string, std::string>& headers,
                                                 const WebSocketOptions& options) {
  auto impl = std::make_unique<Impl>();
  const auto deadline = Clock::now() + options.timeout;
  auto& stream = beast::get_lowest_layer(impl->ws);
  stream.socket().open(tcp::v4());
  if (options.slow) {
    stream.socket().set_option(asio::socket_base::receive_buffer_size(kSlowReceiveBuffer));
  }
  stream.expires_after(options.timeout);
  std::optional<beast::error_code> connected;
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code ec) { connected = ec; });
  if (!impl->run_until([&] { return connected.has_value(); }, deadline) || *connected) {
    throw std::runtime_error("connecting to port " + std::to_string(port) + " failed");
  }

  impl->ws.set_option(websocket::stream_base::decorator(
      [headers](websocket::request_type& request) { set_request_headers(request, headers); }));
  websocket::response_type response;
  std::optional<beast::error_code> handshake;
  impl->ws.async_handshake(response, "127.0.0.1:" + std::to_string(port), target,
                           [&](beast::error_code ec) { handshake = ec; });
  if (!impl->run_until([&] { return handshake.has_value(); }, deadline)) {
    throw std::runtime_error("no answer to the WebSocket handshake for " + target);
  }
  Result result;
  result.response = to_http_result(response);
  if (*handshake) return result;
  stream.expires_never();
  impl->read_next();
  result.client.reset(new WebSocketClient(std::move(impl)));
  return result;
}

std::optional<std::string> WebSocketClient::next(std::chrono::milliseconds timeout) {
  impl_->run_until([&] { return !impl_->messages.empty() || impl_->ended; },
                   Clock::now() + timeout);
  if (impl_->messages.empty()) return std::nullopt;
  auto message = std::move(impl_->messages.front());
  impl_->messages.pop_front();
  return message;
}

bool WebSocketClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!impl_->ended && Clock::now() < deadline) {
    impl_->run_until([&] { return !impl_->messages.empty() || impl_->ended; }, deadline);
    impl_->messages.clear();
  }
  return impl_->ended;
}

bool WebSocketClient::send(const std::string& text, std::chrono::milliseconds timeout) {
  if (impl_->ended) return false;
  auto payload = std::make_shared<std::string>(text);
  auto result = std::make_shared<std::optional<beast::error_code>>();
  impl_->ws.text(true);
  impl_->ws.async_write(asio::buffer(*payload),
                        [payload, result](beast::error_code ec, std::size_t) { *result = ec; });
  impl_->run_until([&] { return result->has_value(); }, Clock::now() + timeout);
  return result->has_value() && !result->value();
}

void WebSocketClient::close(int code, std::chrono::milliseconds timeout) {
  if (impl_->ended) return;
  // Outlives this call if the answer comes later, in another call.
  auto done = std::make_shared<bool>(false);
  impl_->ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                        [done](beast::error_code) { *done = true; });
  impl_->run_until([&] { return *done && impl_->ended; }, Clock::now() + timeout);
}

bool WebSocketClient::closed() const {
  return impl_->ended;
}

int WebSocketClient::close_code() const {
  return impl_->close_code;
}

std::string WebSocketClient::close_reason() const {
  return impl_->close_reason;
}

std::size_t WebSocketClient::received() const {
  return impl_->received;
}

}  // namespace opsdb::test
