#include "opsdb/app/application.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

#include "opsdb/api/direct_writer.hpp"
#include "opsdb/api/health_monitor.hpp"
#include "opsdb/api/routes.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/http/server.hpp"
#include "opsdb/postgres/pg_database.hpp"

namespace opsdb {
namespace {

namespace asio = boost::asio;

constexpr auto kHealthProbeInterval = std::chrono::seconds(2);

// Re-arms itself until the io_context stops.
void probe_periodically(asio::steady_timer& timer, HealthMonitor& health) {
  health.probe();
  timer.expires_after(kHealthProbeInterval);
  timer.async_wait([&timer, &health](boost::system::error_code ec) {
    if (!ec) probe_periodically(timer, health);
  });
}

}  // namespace

int serve(const Config& config) {
  if (config.site_type == SiteType::secondary) {
    spdlog::critical(
        "SITE_TYPE=secondary needs the Redis transaction buffer, which this build does not "
        "have yet; run with SITE_TYPE=main");
    return 2;
  }
  asio::io_context io(config.http_threads);
  PgDatabase main_db("main", config.main_db, config.db_pool_size);
  SystemClock clock;
  TransactionBuilder builder(config.site_name, clock);
  DirectWriter writer(main_db);
  HealthMonitor health(config, main_db);
  ApiServices services{config, builder, writer, main_db, health};

  http::ServerOptions options;
  options.address = config.http_address;
  options.port = config.http_port;
  options.body_limit = config.http_body_limit;
  http::Server server(io, options, make_router(services));
  server.start();
  spdlog::info("ops-db-api listening on {}:{} (site {}, {}), main database {}", config.http_address,
               server.port(), config.site_name, to_string(config.site_type),
               redacted_connection_string(config.main_db));

  asio::steady_timer health_timer(io);
  probe_periodically(health_timer, health);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("signal {} received: stopping (in-flight requests may finish)", signal);
    health_timer.cancel();
    server.stop([&io] {
      spdlog::info("all connections closed");
      io.stop();
    });
  });

  std::vector<std::thread> threads;
  for (int i = 1; i < config.http_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace opsdb
