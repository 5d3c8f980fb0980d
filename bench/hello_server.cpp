// The "bare Beast hello" baseline of DESIGN §12: the smallest asynchronous Boost.Beast HTTP/1.1
// server we can write in the style of the API server (io_context run by HTTP_THREADS threads,
// one strand per connection, keep-alive, a fresh parser per request), answering every request
// with 200 "hello". No routing, no JSON, no logging, no Redis: whatever the API server reaches
// on top of this is the cost of doing real work.
//
// Usage: hello_server [--port N] [--address A] [--threads N]
//   defaults: HTTP_PORT (8080), 127.0.0.1, HTTP_THREADS (2) from the environment.
// Stops on SIGINT/SIGTERM.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::chrono::seconds kIdleTimeout{30};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(tcp::socket socket) : stream_(std::move(socket)) {}

  void start() {
    // Run the first read on the connection's strand (the socket was accepted onto it).
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec) return close();  // end of stream, timeout, reset, malformed: just hang up
    const auto& request = parser_->get();
    response_.emplace(http::status::ok, request.version());
    response_->set(http::field::server, "hello");
    response_->set(http::field::content_type, "text/plain");
    response_->keep_alive(request.keep_alive());
    response_->body() = "hello";
    response_->prepare_payload();
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                        self->on_write(write_ec);
                      });
  }

  void on_write(beast::error_code ec) {
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    if (ec || !keep_alive) return close();
    read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

class Acceptor : public std::enable_shared_from_this<Acceptor> {
 public:
  Acceptor(asio::io_context& io, const tcp::endpoint& endpoint) : io_(io), acceptor_(io) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    // Each connection gets its own strand, like the API server's sessions.
    acceptor_.async_accept(asio::make_strand(io_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             if (ec == asio::error::operation_aborted) return;
                             if (!ec) std::make_shared<Connection>(std::move(socket))->start();
                             self->accept();
                           });
  }

  void close() {
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  asio::io_context& io_;
  tcp::acceptor acceptor_;
};

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

void usage() {
  std::fprintf(stderr, "usage: hello_server [--port N] [--address A] [--threads N]\n");
}

}  // namespace

int main(int argc, char** argv) {
  int port = env_int("HTTP_PORT", 8080);
  int threads = env_int("HTTP_THREADS", 2);
  std::string address = "127.0.0.1";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 < argc && arg == "--port") {
      port = std::atoi(argv[++i]);
    } else if (i + 1 < argc && arg == "--threads") {
      threads = std::atoi(argv[++i]);
    } else if (i + 1 < argc && arg == "--address") {
      address = argv[++i];
    } else {
      usage();
      return 2;
    }
  }
  if (port < 0 || port > 65535 || threads < 1 || threads > 256) {
    usage();
    return 2;
  }

  try {
    asio::io_context io(threads);
    auto acceptor = std::make_shared<Acceptor>(
        io, tcp::endpoint(asio::ip::make_address(address), static_cast<unsigned short>(port)));
    acceptor->accept();
    std::fprintf(stderr, "hello_server listening on %s:%u with %d thread(s)\n", address.c_str(),
                 acceptor->port(), threads);

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
      acceptor->close();
      io.stop();  // open keep-alive connections are simply dropped
    });

    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hello_server: %s\n", error.what());
    return 1;
  }
  return 0;
}
