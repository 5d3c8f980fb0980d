#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace opsdb::http {

/// Accepts TCP connections on one endpoint and hands each socket, already bound to its own
/// strand, to a callback. Knows nothing about HTTP.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using AcceptHandler = std::function<void(boost::asio::ip::tcp::socket)>;

  /// Opens, binds and listens at once. Throws std::runtime_error if that fails.
  Listener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
           AcceptHandler on_accept);

  /// Starts the accept loop.
  void run();

  /// Stops accepting and closes the listening socket before returning, so that new connections
  /// are refused from then on. Safe to call from any thread.
  void close();

  /// The bound port.
  std::uint16_t port() const { return port_; }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  // Serialises every call on the acceptor and the timer: close() comes from any thread while the
  // accept loop runs on the io_context. A strand would make close() asynchronous.
  std::mutex mutex_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  AcceptHandler on_accept_;
  std::uint16_t port_ = 0;
};

}  // namespace opsdb::http
