#include "opsdb/app/application.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

#include "compute_pool.hpp"
#include "opsdb/api/buffered_writer.hpp"
#include "opsdb/api/direct_writer.hpp"
#include "opsdb/api/routes.hpp"
#include "opsdb/app/service_notifier.hpp"
#include "opsdb/buffer/file_journal.hpp"
#include "opsdb/buffer/journal_replayer.hpp"
#include "opsdb/buffer/redis_buffer_inspector.hpp"
#include "opsdb/buffer/redis_buffered_records.hpp"
#include "opsdb/buffer/redis_dead_letters.hpp"
#include "opsdb/buffer/redis_drain_queue.hpp"
#include "opsdb/buffer/redis_event_stream.hpp"
#include "opsdb/buffer/redis_replication_queue.hpp"
#include "opsdb/buffer/redis_write_buffer.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/core/version.hpp"
#include "opsdb/http/server.hpp"
#include "opsdb/metrics/prometheus_metrics.hpp"
#include "opsdb/postgres/pg_database.hpp"
#include "opsdb/postgres/pg_database_probe.hpp"
#include "opsdb/postgres/pg_program_catalog.hpp"
#include "opsdb/postgres/pg_read_store.hpp"
#include "opsdb/postgres/pg_reference_ids.hpp"
#include "opsdb/postgres/pg_replica_progress.hpp"
#include "opsdb/postgres/pg_request_ledger.hpp"
#include "opsdb/postgres/pg_source_catalog.hpp"
#include "opsdb/postgres/pg_transfer_catalog.hpp"
#include "opsdb/processor/drain_processor.hpp"
#include "opsdb/processor/lsn_tracker.hpp"
#include "opsdb/redis/redis_client.hpp"
#include "opsdb/status/site_monitor.hpp"
#include "opsdb/tx/reference_check.hpp"
#include "site_access.hpp"

namespace opsdb {
namespace {

namespace asio = boost::asio;

constexpr auto kReferenceRefreshInterval = std::chrono::minutes(1);

// The Scheduler of the background loops, on the server's io_context.
class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(asio::io_context& io) : io_(io) {}
  void after(std::chrono::milliseconds delay, std::function<void()> work) override {
    if (delay.count() <= 0) {
      asio::post(io_, std::move(work));
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timer->async_wait([timer, work = std::move(work)](boost::system::error_code ec) {
      if (!ec) work();
    });
  }

 private:
  asio::io_context& io_;
};

// Samples the site every HEALTH_CHECK_INTERVAL and refreshes the reference ids every minute;
// re-arms itself until cancelled.
void maintain(asio::steady_timer& timer, std::chrono::milliseconds interval, SiteMonitor& monitor,
              ReferenceCheck& references, std::chrono::steady_clock::time_point refreshed = {}) {
  monitor.sample();
  const auto now = std::chrono::steady_clock::now();
  if (now - refreshed >= kReferenceRefreshInterval) {
    references.refresh();
    refreshed = now;
  }
  timer.expires_after(interval);
  timer.async_wait(
      [&timer, interval, &monitor, &references, refreshed](boost::system::error_code ec) {
        if (!ec) maintain(timer, interval, monitor, references, refreshed);
      });
}

// Descriptors besides client connections: databases, Redis, listening socket, logs.
constexpr rlim_t kSpareDescriptors = 128;

// Every connection takes a descriptor; the soft limit (often 1024) would otherwise make the
// accept fail before HTTP_MAX_CONNECTIONS is reached. The hard limit is as far as it goes.
void raise_file_limit(std::size_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + kSpareDescriptors;
  if (limit.rlim_cur < wanted && limit.rlim_cur != RLIM_INFINITY) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    spdlog::warn(
        "open file limit {} is below HTTP_MAX_CONNECTIONS + {}: connections beyond what the "
        "limit allows wait in the listen queue instead of being refused with 503",
        limit.rlim_cur, kSpareDescriptors);
  }
}

redis::RedisOptions redis_options(const Config& config,
                                  std::function<void()> on_connected = nullptr) {
  redis::RedisOptions o;
  o.host = config.redis_host;
  o.port = config.redis_port;
  o.db = config.redis_db;
  o.password = config.redis_password;
  for (const auto& sentinel : config.redis_sentinels) {
    o.sentinels.push_back(redis::RedisAddress{sentinel.host, sentinel.port});
  }
  o.sentinel_master = config.redis_sentinel_master;
  o.command_timeout = config.redis_command_timeout;
  o.connect_timeout = config.redis_command_timeout;
  o.on_connected = std::move(on_connected);
  return o;
}

// The drain lease holder's name: host and HTTP port. Two live servers cannot share both, and a
// server restarted in place is the same drainer, so it takes its lease back at once after a
// crash.
std::string lease_identity(const Config& config) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  if (config.http_port == 0) return std::string(host) + ":" + new_uuid();
  return std::string(host) + ":" + std::to_string(config.http_port);
}

BufferOptions buffer_options(const Config& config) {
  BufferOptions o{config.site_name,
                  lease_identity(config),
                  config.transaction_status_ttl,
                  config.lsn_tracking_enabled,
                  config.drain_lease_ttl,
                  config.idempotency_key_ttl};
  o.min_replicas_ack = config.redis_min_replicas_ack;
  // Well inside the command's own deadline, so the answer arrives rather than a timeout.
  o.replica_ack_timeout = config.redis_command_timeout / 2;
  o.events_max = config.events_recent_max;
  return o;
}

// The connection that follows the events stream: its XREAD waits for new events, so its
// deadline is that wait plus the usual one.
redis::RedisOptions event_follower_options(const Config& config) {
  auto o = redis_options(config);
  o.command_timeout = RedisEventStream::kBlock + config.redis_command_timeout;
  return o;
}

DrainOptions drain_options(const Config& config) {
  DrainOptions o;
  o.batch_size = config.drain_batch_size;
  o.retry_attempts = config.transaction_retry_attempts;
  o.retry_delay = config.transaction_retry_delay;
  o.max_delay = config.retry_max_delay;
  o.interval = config.background_processing_interval;
  o.batch_bytes = config.drain_batch_bytes;
  // A batch that uses half the statement timeout is close to failing: the next ones are smaller.
  o.slow_batch = config.main_db.statement_timeout / 2;
  o.stall_timeout = config.drain_stall_timeout;
  o.test_throws = config.drain_test_throws;
  return o;
}

LsnTrackerOptions lsn_tracker_options(const Config& config) {
  return LsnTrackerOptions{config.lsn_check_interval, config.lsn_timeout,
                           config.drain_stall_timeout};
}

// The secondary site's pieces: Redis buffer, drain and replication tracking.
//
// The drain and the LSN tracker run on a thread and io_context of their own, with the Redis
// connection they use: parsing and serialising batches of up to DRAIN_BATCH_BYTES of JSON must
// not hold up the threads that serve HTTP. Their steps still run one at a time, in order.
struct SecondarySite {
  SecondarySite(asio::io_context& io, const Config& config, TransactionApplier& main_db,
                Database& replica, const Clock& clock, Scheduler& scheduler)
      : drain_io(1),
        drain_work(asio::make_work_guard(drain_io)),
        drain_scheduler(drain_io),
        redis(io, redis_options(config,
                                [this] {
                                  if (on_redis_connected) on_redis_connected();
                                })),
        drain_redis(drain_io, redis_options(config)),
        event_redis(io, event_follower_options(config)),
        options(buffer_options(config)),
        journal(JournalOptions{config.journal_path, config.journal_max_bytes}),
        write_buffer(redis, options),
        inspector(redis, options, clock, &journal),
        buffered_records(redis, RedisKeys(options.site_name)),
        dead_letters(redis, options, clock),
        drain_queue(drain_redis, options, clock),
        replication_queue(drain_redis, options, clock),
        // A resume replays at most half a client's queue, so the live events behind it fit.
        hub(&events, std::max<std::size_t>(1, config.ws_queue_messages / 2)),
        events(redis, event_redis, options, hub, scheduler, clock),
        replica_progress(replica),
        replayer(journal, write_buffer),
        writer(write_buffer, journal),
        processor(drain_options(config), drain_queue, main_db, drain_scheduler, clock),
        lsn(lsn_tracker_options(config), replication_queue, replica_progress, drain_scheduler,
            clock),
        lsn_enabled(config.lsn_tracking_enabled) {}

  ~SecondarySite() { join(); }

  void start() {
    drain_thread = std::thread([this] { drain_io.run(); });
    redis.start();
    drain_redis.start();
    event_redis.start();
    events.start();
    replayer.start();
    processor.start();
    if (lsn_enabled) lsn.start();
  }
  // Stops the loops, hands the drain lease back so a successor need not wait for it to
  // expire, then closes the Redis connections and calls `done`.
  void stop(std::function<void()> done) {
    replayer.stop();
    processor.stop();
    lsn.stop();
    events.stop();
    drain_queue.release_lease([this, done = std::move(done)](Result<void> released) {
      if (!released.ok()) {
        spdlog::warn("drain lease not released ({}); it expires by itself",
                     released.error().message);
      }
      redis.stop();
      drain_redis.stop();
      event_redis.stop();
      done();
    });
  }

  // Ends the drain's thread; what is still queued on it is dropped. After stop() has finished
  // (or when the server never got that far).
  void join() {
    drain_work.reset();
    drain_io.stop();
    if (drain_thread.joinable()) drain_thread.join();
  }

  /// Called when the connection serving clients is (again) ready; set before start().
  std::function<void()> on_redis_connected;
  asio::io_context drain_io;
  asio::executor_work_guard<asio::io_context::executor_type> drain_work;
  AsioScheduler drain_scheduler;
  // Client writes and the drain use separate connections, so a large drain batch never
  // delays the reply to a client's write.
  redis::RedisClient redis;
  redis::RedisClient drain_redis;
  redis::RedisClient event_redis;  // follows the events stream, nothing else
  BufferOptions options;
  FileJournal journal;
  RedisWriteBuffer write_buffer;
  RedisBufferInspector inspector;
  RedisBufferedRecords buffered_records;
  RedisDeadLetters dead_letters;
  RedisDrainQueue drain_queue;
  RedisReplicationQueue replication_queue;
  EventHub hub;
  RedisEventStream events;
  PgReplicaProgress replica_progress;
  JournalReplayer replayer;
  BufferedWriter writer;
  DrainProcessor processor;
  LsnTracker lsn;
  bool lsn_enabled;
  std::thread drain_thread;  // runs drain_io
};

// What /health, /metrics and the alerts look at: the local database, and at a secondary site
// the buffer, the drain and the LSN tracker.
SiteSources site_sources(const Config& config, DatabaseProbe& local_db, SecondarySite* site) {
  SiteSources sources{local_db};
  if (site == nullptr) return sources;
  sources.buffer = &site->inspector;
  sources.processor = [site] { return site->processor.snapshot(); };
  sources.journal = [site] { return site->journal.stats(); };
  if (config.lsn_tracking_enabled) {
    sources.replication = [site]() -> std::optional<ReplicationStatus> {
      return site->lsn.snapshot();
    };
  }
  return sources;
}

}  // namespace

int serve(const Config& config) {
  // NOTIFY_SOCKET is the service manager's, not configuration: read once, at start.
  auto notifier = ServiceNotifier::from_environment();
  asio::io_context io(config.http_threads);
  SystemClock clock;
  const bool secondary = config.site_type == SiteType::secondary;

  const PgQueueOptions queue{config.db_queue_limit, config.db_queue_timeout};
  // The drain has a connection of its own so reads never queue behind a batch.
  PgDatabase main_db("main", config.main_db, secondary ? 1 : config.db_pool_size, queue);
  std::unique_ptr<PgDatabase> replica;
  if (secondary)
    replica = std::make_unique<PgDatabase>("local", config.local_db, config.db_pool_size, queue);
  Database& reads = secondary ? static_cast<Database&>(*replica) : main_db;
  // A lane of its own for what critical writes and health wait on (reference ids, the probe):
  // a burst of slow reads filling the pool never delays or refuses a write's reference check.
  PgDatabase priority_lane(secondary ? "local (priority lane)" : "main (priority lane)",
                           secondary ? config.local_db : config.main_db, 1, queue);

  std::unique_ptr<SecondarySite> site;
  AsioScheduler scheduler(io);
  if (secondary) {
    site = std::make_unique<SecondarySite>(io, config, main_db, reads, clock, scheduler);
  }
  PgRequestLedger request_ledger(main_db);
  // The main site has no events stream: its events are the writes of this process.
  EventHub main_events(nullptr, 0);
  DirectWriter direct(main_db, request_ledger, &main_events);
  TransactionBuilder builder(config.site_name, clock,
                             {.max_depth = config.http_json_max_depth,
                              .max_string = config.http_json_max_string,
                              .max_bulk_files = config.bulk_max_files});
  PgDatabaseProbe probe(priority_lane);
  PgReferenceIds reference_ids(priority_lane);
  ReferenceCheck references(reference_ids);
  PgReadStore read_store(reads);
  PgSourceCatalog source_catalog(reads);
  PgProgramCatalog program_catalog(reads, main_db);
  SmartQuery smart_query(read_store, site ? &site->buffered_records : nullptr);
  PgTransferCatalog transfer_catalog(reads, main_db);
  TransferView transfer_view(transfer_catalog, read_store,
                             site ? &site->buffered_records : nullptr);

  // Visibility is CPU work: its own threads, results posted back to the HTTP threads.
  ComputePool compute_pool(io, config.visibility_threads, config.visibility_queue_limit);
  VisibilityService visibility(
      ObservingSite{config.telescope_latitude_deg, config.telescope_longitude_deg,
                    config.telescope_altitude_m},
      source_catalog, compute_pool.offload(),
      {.max_nights = config.visibility_cache_entries, .ttl = config.visibility_cache_ttl}, clock);

  const HealthThresholds thresholds{config.alert_buffer_size, config.alert_replication_lag};
  SiteMonitor monitor(site_sources(config, probe, site.get()),
                      AlertOptions{thresholds, config.alert_hold}, clock);
  PrometheusMetrics metrics(
      {std::string(version()), config.site_name, to_string(config.site_type), thresholds});
  if (site) {
    // Redis back (or up for the first time): /health need not wait for the next sample.
    site->on_redis_connected = [&io, &monitor] {
      asio::post(io, [&monitor] { monitor.sample(); });
    };
    site->processor.observe_batches(
        [&metrics](std::size_t transactions, std::chrono::steady_clock::duration took) {
          metrics.batch_applied(transactions, took);
        });
  }

  ApiServices services{
      config,      builder, secondary ? static_cast<WriteSink&>(site->writer) : direct,
      smart_query, monitor, references,
      metrics};
  // Credentials are verified on the priority lane too: a cache miss must not queue behind reads.
  SiteAccess access(io, config, priority_lane, main_db, clock);
  services.authenticator = access.authenticator();
  services.tokens = &access.tokens();
  services.clock = &clock;
  services.sources = &source_catalog;
  services.programs = &program_catalog;
  services.transfers = &transfer_view;
  services.visibility = &visibility;
  DocumentBroadcast overview(transfer_overview_document(services), scheduler, clock, {});
  services.overview = &overview;
  services.events = site ? &site->hub : &main_events;
  services.events->on_publish([&overview] { overview.nudge(); });
  if (site) {
    services.buffer = &site->inspector;
    services.dead_letters = &site->dead_letters;
    services.processor = [&site] { return site->processor.snapshot(); };
  }

  http::ServerOptions options;
  options.address = config.http_address;
  options.port = config.http_port;
  options.body_limit = config.http_body_limit;
  options.max_connections = config.http_max_connections;
  options.header_timeout = config.http_header_timeout;
  options.idle_timeout = config.http_idle_timeout;
  options.body_timeout = config.http_body_timeout;
  options.write_timeout = config.http_write_timeout;
  options.max_websocket_clients = config.ws_max_clients;
  options.websocket_ping_interval = config.ws_ping_interval;
  options.on_request = [&metrics](const http::RequestRecord& r) {
    metrics.request_served(r.route, r.method, r.status, r.took);
  };
  raise_file_limit(config.http_max_connections);
  http::Server server(io, options, make_router(services));
  metrics.count_connections([&server] {
    const auto s = server.stats();
    return ConnectionFigures{s.open_connections,       s.accepted_connections,
                             s.refused_connections,    s.header_timeouts,
                             s.idle_timeouts,          s.body_timeouts,
                             s.open_websocket_clients, s.refused_websocket_clients};
  });
  server.start();
  spdlog::info("ops-db-api listening on {}:{} (site {}, {}); main database {}", config.http_address,
               server.port(), config.site_name, to_string(config.site_type),
               redacted_connection_string(config.main_db));
  if (site) {
    std::string redis = config.redis_host + ":" + std::to_string(config.redis_port);
    if (!config.redis_sentinels.empty()) {
      redis = "master '" + config.redis_sentinel_master + "' of the Sentinels";
      for (const auto& sentinel : config.redis_sentinels) {
        redis += " " + sentinel.host + ":" + std::to_string(sentinel.port);
      }
    }
    spdlog::info("writes are buffered in Redis {} db {}{} and drained in batches of {}", redis,
                 config.redis_db,
                 config.redis_min_replicas_ack > 0
                     ? ", acknowledged once " + std::to_string(config.redis_min_replicas_ack) +
                           " replicas hold them"
                     : std::string(),
                 config.drain_batch_size);
    site->start();
  }

  asio::steady_timer health_timer(io);
  maintain(health_timer, config.health_check_interval, monitor, references);
  access.start();
  overview.start();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("signal {} received: stopping (in-flight requests may finish)", signal);
    notifier.stopping("stopping: in-flight requests may finish");
    health_timer.cancel();
    access.stop();
    overview.stop();
    if (site) site->processor.stop();
    server.stop([&] {
      spdlog::info("all connections closed");
      if (!site) return io.stop();
      site->stop([&io] { io.stop(); });
    });
  });

  // Ready only now: the socket listens (connections wait in its backlog until the threads below
  // run) and SIGTERM is handled, so a stop right after start-up is graceful too.
  notifier.ready(fmt::format("listening on {}:{}", config.http_address, server.port()));

  std::vector<std::thread> threads;
  for (int i = 1; i < config.http_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  if (site) site->join();
  // Computations still running call back into the catalogue and the cache.
  compute_pool.stop();
  // Database calls still in progress call back into the objects above: finish them first.
  main_db.stop();
  if (replica) replica->stop();
  priority_lane.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace opsdb
