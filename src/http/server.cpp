#include "opsdb/http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connection_counters.hpp"
#include "connection_refusal.hpp"
#include "http_session.hpp"
#include "listener.hpp"

namespace opsdb::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Refusals being written at once; a flood beyond this is closed without an answer, so refusing
// stays cheap however many connections arrive.
constexpr std::size_t kMaxPendingRefusals = 64;

}  // namespace

// Owns the listener and a registry of live sessions, so that stop() can reach them. Sessions
// report back when they close; the registry is locked because sessions live on their own strands
// and the io_context may run on several threads.
struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io_context, ServerOptions server_options,
       std::shared_ptr<const Router> request_router)
      : io(io_context),
        options(std::move(server_options)),
        router(std::move(request_router)),
        refusal(std::make_shared<const std::string>(
            ConnectionRefusal::render_response(options.max_connections))),
        counters(std::make_shared<ConnectionCounters>()),
        strand(asio::make_strand(io_context)),
        grace_timer(strand) {}

  void start() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) throw std::runtime_error("invalid listen address '" + options.address + "'");
    std::weak_ptr<Impl> weak = shared_from_this();
    listener = std::make_shared<Listener>(io, tcp::endpoint(address, options.port),
                                          [weak](tcp::socket socket) {
                                            if (auto self = weak.lock())
                                              self->on_accept(std::move(socket));
                                          });
    listener->run();
    spdlog::info("HTTP server listening on {}:{}", options.address, listener->port());
  }

  void on_accept(tcp::socket socket) {
    std::shared_ptr<HttpSession> session;
    {
      std::lock_guard lock(mutex);
      // A connection accepted just before the acceptor closed is not served any more.
      if (stopping) return;
      if (sessions.size() >= options.max_connections) return refuse(std::move(socket));
      const auto id = next_id++;
      std::weak_ptr<Impl> weak = shared_from_this();
      session = std::make_shared<HttpSession>(
          std::move(socket), options, router, counters,
          [self = shared_from_this(), id] { self->on_session_closed(id); },
          [weak, id](const WebSocketFactory& make) {
            auto self = weak.lock();
            return self ? self->upgrade(id, make) : UpgradeOutcome::stopping;
          });
      sessions.emplace(id, session);
    }
    ++counters->accepted;
    session->run();
  }

  // Requires `mutex`. Over the limit: a short 503 while few refusals are under way, else the
  // connection is just closed (the socket goes out of scope).
  void refuse(tcp::socket socket) {
    ++counters->refused;
    if (!refusal_logged) {
      spdlog::warn("HTTP server: {} connections open (HTTP_MAX_CONNECTIONS); refusing new ones",
                   sessions.size());
      refusal_logged = true;
    }
    if (pending_refusals >= kMaxPendingRefusals) return;
    ++pending_refusals;
    std::weak_ptr<Impl> weak = shared_from_this();
    std::make_shared<ConnectionRefusal>(std::move(socket), refusal, [weak] {
      if (auto self = weak.lock()) {
        std::lock_guard lock(self->mutex);
        --self->pending_refusals;
      }
    })->run();
  }

  // Called on the connection's strand, by the HTTP session `id` whose upgrade request a route
  // accepted. The WebSocket session replaces it in `sessions` and keeps counting as a connection.
  UpgradeOutcome upgrade(std::uint64_t id, const WebSocketFactory& make) {
    std::lock_guard lock(mutex);
    if (stopping) return UpgradeOutcome::stopping;
    if (websocket_clients >= options.max_websocket_clients) {
      if (!websocket_refusal_logged) {
        spdlog::warn("HTTP server: {} WebSocket clients (WS_MAX_CLIENTS); refusing new ones",
                     websocket_clients);
        websocket_refusal_logged = true;
      }
      return UpgradeOutcome::full;
    }
    ++websocket_clients;
    sessions[id] = make([self = shared_from_this(), id] { self->on_websocket_closed(id); });
    return UpgradeOutcome::upgraded;
  }

  void on_websocket_closed(std::uint64_t id) {
    {
      std::lock_guard lock(mutex);
      --websocket_clients;
      if (websocket_clients <= options.max_websocket_clients * 9 / 10) {
        websocket_refusal_logged = false;
      }
    }
    on_session_closed(id);
  }

  ServerStats stats() {
    ServerStats result;
    {
      std::lock_guard lock(mutex);
      result.open_connections = sessions.size();
      result.open_websocket_clients = websocket_clients;
    }
    result.accepted_connections = counters->accepted;
    result.refused_connections = counters->refused;
    result.header_timeouts = counters->header_timeouts;
    result.idle_timeouts = counters->idle_timeouts;
    result.body_timeouts = counters->body_timeouts;
    result.refused_websocket_clients = counters->refused_websockets;
    return result;
  }

  void on_session_closed(std::uint64_t id) {
    std::lock_guard lock(mutex);
    sessions.erase(id);
    // Logged again only after the server has had some room, not at every connection that ends.
    if (sessions.size() <= options.max_connections * 9 / 10) refusal_logged = false;
    finish_if_done();
  }

  void stop(std::function<void()> callback) {
    std::vector<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(mutex);
      if (stopping) {
        spdlog::warn("HTTP server: stop() called twice; the second call is ignored");
        return;
      }
      stopping = true;
      on_stopped = std::move(callback);
      live = live_sessions();
      spdlog::info("HTTP server stopping; {} connection(s) open", live.size());
    }
    if (listener) listener->close();
    for (const auto& session : live) session->stop();
    asio::post(strand, [self = shared_from_this()] { self->start_grace_timer(); });
    std::lock_guard lock(mutex);
    finish_if_done();
  }

  // Runs on `strand`, like everything else that touches the timer.
  void start_grace_timer() {
    {
      std::lock_guard lock(mutex);
      if (finished) return;
    }
    grace_timer.expires_after(options.shutdown_grace);
    grace_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->abort_remaining();
    });
  }

  void abort_remaining() {
    std::vector<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(mutex);
      live = live_sessions();
    }
    if (!live.empty()) {
      spdlog::warn("HTTP server: closing {} connection(s) still busy after the shutdown grace",
                   live.size());
    }
    for (const auto& session : live) session->abort();
  }

  // Requires `mutex`.
  std::vector<std::shared_ptr<Connection>> live_sessions() const {
    std::vector<std::shared_ptr<Connection>> live;
    for (const auto& [id, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    return live;
  }

  // Requires `mutex`.
  void finish_if_done() {
    if (!stopping || finished || !sessions.empty()) return;
    finished = true;
    asio::post(strand, [self = shared_from_this()] {
      self->grace_timer.cancel();
      spdlog::info("HTTP server stopped");
      if (self->on_stopped) asio::post(self->io, std::exchange(self->on_stopped, nullptr));
    });
  }

  asio::io_context& io;
  const ServerOptions options;
  const std::shared_ptr<const Router> router;
  const std::shared_ptr<const std::string> refusal;  // the 503 of a refused connection
  const std::shared_ptr<ConnectionCounters> counters;
  asio::strand<asio::io_context::executor_type> strand;  // serialises use of grace_timer
  asio::steady_timer grace_timer;
  std::shared_ptr<Listener> listener;

  std::mutex mutex;  // guards everything below
  // HTTP sessions, and the WebSocket sessions some of them became (under the same id).
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> sessions;
  std::uint64_t next_id = 0;
  std::size_t pending_refusals = 0;
  std::size_t websocket_clients = 0;
  bool refusal_logged = false;            // once per episode of being full
  bool websocket_refusal_logged = false;  // the same for WebSocket clients
  bool stopping = false;
  bool finished = false;
  std::function<void()> on_stopped;
};

Server::Server(asio::io_context& io, ServerOptions options, std::shared_ptr<const Router> router)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(router))) {
  if (!impl_->router) throw std::invalid_argument("Server needs a router");
}

Server::~Server() {
  // Without stop() the connections keep running until the io_context ends; accepting ends here.
  if (impl_->listener) impl_->listener->close();
}

void Server::start() {
  impl_->start();
}

std::uint16_t Server::port() const {
  return impl_->listener ? impl_->listener->port() : 0;
}

ServerStats Server::stats() const {
  return impl_->stats();
}

void Server::stop(std::function<void()> on_stopped) {
  impl_->stop(std::move(on_stopped));
}

}  // namespace opsdb::http
