#include "listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/strand.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

namespace opsdb::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Failures such as EMFILE would repeat at once and spin; a short pause lets connections close.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

}  // namespace

Listener::Listener(asio::io_context& io, const tcp::endpoint& endpoint, AcceptHandler on_accept)
    : io_(io), acceptor_(io), retry_timer_(io), on_accept_(std::move(on_accept)) {
  boost::system::error_code ec;
  auto check = [&](const char* step) {
    if (!ec) return;
    throw std::runtime_error("cannot listen on " + endpoint.address().to_string() + ":" +
                             std::to_string(endpoint.port()) + ": " + step + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  check("open");
  // Lets a restarted service bind while connections of the previous process sit in TIME_WAIT.
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  check("setsockopt");
  acceptor_.bind(endpoint, ec);
  check("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  check("listen");
  port_ = acceptor_.local_endpoint(ec).port();
  check("getsockname");
}

void Listener::run() {
  std::lock_guard lock(mutex_);
  do_accept();
}

void Listener::close() {
  std::lock_guard lock(mutex_);
  if (!acceptor_.is_open()) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  if (ec) spdlog::warn("closing the listening socket on port {}: {}", port_, ec.message());
  retry_timer_.cancel();
}

// Requires `mutex_`.
void Listener::do_accept() {
  if (!acceptor_.is_open()) return;
  // Each connection gets its own strand, so that its handlers never run concurrently.
  acceptor_.async_accept(asio::make_strand(io_),
                         [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
                           self->on_accept(ec, std::move(s));
                         });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  {
    std::lock_guard lock(mutex_);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      spdlog::debug("listener on port {} stopped accepting", port_);
      return;
    }
    if (ec) {
      spdlog::warn("accept on port {} failed: {}", port_, ec.message());
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (wait_ec) return;
        std::lock_guard retry_lock(self->mutex_);
        self->do_accept();
      });
      return;
    }
  }
  // Outside the lock: the callback may take its own locks, and close() must not wait for it.
  try {
    on_accept_(std::move(socket));
  } catch (const std::exception& error) {
    spdlog::error("setting up a connection failed: {}", error.what());
  }
  std::lock_guard lock(mutex_);
  do_accept();
}

}  // namespace opsdb::http
