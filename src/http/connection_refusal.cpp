#include "connection_refusal.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <utility>

#include "opsdb/core/error.hpp"

namespace opsdb::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A refusal must cost next to nothing: it gets this long to write its answer and as long again
// to see the client go.
constexpr std::chrono::milliseconds kRefusalDeadline{1'000};

}  // namespace

ConnectionRefusal::ConnectionRefusal(tcp::socket socket,
                                     std::shared_ptr<const std::string> response,
                                     std::function<void()> on_done)
    : stream_(std::move(socket)), response_(std::move(response)), on_done_(std::move(on_done)) {}

ConnectionRefusal::~ConnectionRefusal() {
  finish();
}

std::string ConnectionRefusal::render_response(std::size_t max_connections) {
  const auto body =
      ApiError(ErrorKind::unavailable, "the server has too many open connections; try again later",
               {{"max_connections", max_connections}})
          .to_json()
          .dump();
  return "HTTP/1.1 503 Service Unavailable\r\n"
         "Server: ops-db-api\r\n"
         "Content-Type: application/json\r\n"
         "Retry-After: 1\r\n"
         "Connection: close\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

void ConnectionRefusal::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->stream_.expires_after(kRefusalDeadline);
    asio::async_write(self->stream_, asio::buffer(*self->response_),
                      [self](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
  });
}

void ConnectionRefusal::on_write(boost::system::error_code ec) {
  if (ec) return finish();
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return finish();
  stream_.expires_after(kRefusalDeadline);
  do_drain();
}

void ConnectionRefusal::do_drain() {
  stream_.async_read_some(asio::buffer(scratch_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                            if (ec) return self->finish();
                            self->do_drain();
                          });
}

void ConnectionRefusal::finish() {
  auto on_done = std::exchange(on_done_, nullptr);
  if (!on_done) return;
  stream_.close();
  on_done();
}

}  // namespace opsdb::http
