#include "opsdb/metrics/prometheus_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <map>
#include <mutex>
#include <tuple>

namespace opsdb {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Request latency: from 100 µs (a buffered write) to 10 s (a deadline).
const prometheus::Histogram::BucketBoundaries kRequestBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
// A drain batch: one round trip to Cologne at best, a statement timeout at worst.
const prometheus::Histogram::BucketBoundaries kBatchBuckets = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const prometheus::Histogram::BucketBoundaries kBatchSizeBuckets = {1,   10,   50,   100,  250,
                                                                   500, 1000, 2500, 5000, 10000};

constexpr std::array kMethods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
constexpr std::array kDrainStates = {DrainState::starting,
                                     DrainState::running,
                                     DrainState::idle,
                                     DrainState::standby,
                                     DrainState::retrying,
                                     DrainState::waiting_for_main_db,
                                     DrainState::refused_by_main_db,
                                     DrainState::waiting_for_redis,
                                     DrainState::stalled,
                                     DrainState::stopped};
constexpr std::array kHealthLevels = {HealthLevel::healthy, HealthLevel::degraded,
                                      HealthLevel::unhealthy};

// A method a client made up is "other": labels never take arbitrary values.
std::string_view method_label(std::string_view method) {
  for (std::string_view known : kMethods) {
    if (method == known) return known;
  }
  return "other";
}

std::string status_class(int status) {
  return std::to_string(status / 100) + "xx";
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Families built from a snapshot at render time.
class Families {
 public:
  void gauge(std::string name, std::string help, double value,
             std::vector<ClientMetric::Label> labels = {}) {
    add(std::move(name), std::move(help), MetricType::Gauge, value, std::move(labels));
  }
  void counter(std::string name, std::string help, double value) {
    add(std::move(name), std::move(help), MetricType::Counter, value, {});
  }
  void flag(std::string name, std::string help, bool on) {
    gauge(std::move(name), std::move(help), on ? 1 : 0);
  }
  std::vector<MetricFamily>& all() { return families_; }

 private:
  void add(std::string name, std::string help, MetricType type, double value,
           std::vector<ClientMetric::Label> labels) {
    if (families_.empty() || families_.back().name != name) {
      families_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    }
    ClientMetric metric;
    metric.label = std::move(labels);
    (type == MetricType::Counter ? metric.counter.value : metric.gauge.value) = value;
    families_.back().metric.push_back(std::move(metric));
  }

  std::vector<MetricFamily> families_;
};

void add_reachability(Families& out, const char* name, const char* help,
                      DatabaseStatus::State state) {
  // Unknown (no answer yet) is no series rather than a guess.
  if (state != DatabaseStatus::State::unknown) {
    out.flag(name, help, state == DatabaseStatus::State::reachable);
  }
}

void add_buffer(Families& out, const BufferStats& b) {
  out.gauge("opsdb_buffer_pending_transactions", "Transactions buffered, waiting for the drain",
            static_cast<double>(b.pending));
  out.gauge("opsdb_buffer_failed_transactions",
            "Transactions in the dead-letter queue, waiting for an operator",
            static_cast<double>(b.failed));
  out.gauge("opsdb_buffer_awaiting_replication_transactions",
            "Transactions applied on the main database, not yet seen on the local replica",
            static_cast<double>(b.awaiting_replication));
  out.gauge("opsdb_buffer_oldest_pending_age_seconds",
            "Age of the oldest buffered transaction (0 when none)",
            b.oldest_pending_seconds.value_or(0));
  out.gauge("opsdb_buffer_size_bytes", "Bytes of buffered transaction documents",
            b.size_mb * 1024 * 1024);
}

void add_processor(Families& out, const ProcessorSnapshot& p) {
  out.flag("opsdb_processor_running", "1 while the background processor runs", p.running);
  for (auto state : kDrainStates) {
    out.gauge("opsdb_processor_state", "The background processor's state (1 for the current one)",
              state == p.state ? 1 : 0, {{"state", std::string(to_string(state))}});
  }
  out.counter("opsdb_drain_applied_transactions_total",
              "Transactions the drain applied on the main database",
              static_cast<double>(p.transactions_processed));
  out.counter("opsdb_drain_failed_attempts_total",
              "Attempts the main database rejected (each retried or dead-lettered)",
              static_cast<double>(p.failed_attempts));
  out.counter("opsdb_drain_dead_lettered_transactions_total",
              "Transactions moved to the dead-letter queue", static_cast<double>(p.dead_lettered));
  out.counter("opsdb_drain_step_errors_total",
              "Drain steps that failed with an unexpected error (and recovered)",
              static_cast<double>(p.step_errors));
  out.gauge("opsdb_drain_transactions_per_second",
            "Transactions applied per second over the last minute", p.processing_rate);
}

void add_site(Families& out, const SiteReport& report) {
  const SiteSnapshot& site = report.site;
  for (auto level : kHealthLevels) {
    out.gauge("opsdb_health_status", "The site's health (1 for the current one)",
              level == report.verdict.level ? 1 : 0, {{"status", std::string(to_string(level))}});
  }
  out.gauge(
      "opsdb_health_report_age_seconds", "Age of the sampled state health is judged on",
      std::chrono::duration<double>(std::chrono::system_clock::now() - report.sampled_at).count());
  add_reachability(out, "opsdb_local_database_up", "1 when the local database answers",
                   site.local_db.state);
  if (!site.secondary) {
    add_reachability(out, "opsdb_main_database_up", "1 when the main database answers",
                     site.local_db.state);
    return;
  }
  if (auto reachable = main_database_reachable(site)) {
    out.flag("opsdb_main_database_up", "1 when the main database answers", *reachable);
  }
  add_reachability(out, "opsdb_redis_up", "1 when Redis (the buffer) answers", site.redis);
  if (site.buffer) add_buffer(out, *site.buffer);
  if (site.journal) {
    out.gauge("opsdb_journal_pending_transactions",
              "Writes journaled locally while Redis could not take them, not yet replayed",
              static_cast<double>(site.journal->pending));
    out.gauge("opsdb_journal_size_bytes", "Size of the local write journal",
              static_cast<double>(site.journal->bytes));
    out.gauge("opsdb_journal_limit_bytes", "JOURNAL_MAX_BYTES: writes are refused beyond it",
              static_cast<double>(site.journal->max_bytes));
  }
  if (site.processor) add_processor(out, *site.processor);
  if (site.lag) {
    out.gauge("opsdb_replication_lag_seconds",
              "Age of the oldest write applied on the main database and not yet on the replica",
              site.lag->seconds);
    if (site.lag->bytes) {
      out.gauge("opsdb_replication_lag_bytes",
                "WAL bytes between the main database after our last write and the replica",
                static_cast<double>(*site.lag->bytes));
    }
  }
}

}  // namespace

struct PrometheusMetrics::Impl {
  explicit Impl(MetricsOptions o)
      : options(std::move(o)),
        registry(std::make_shared<prometheus::Registry>()),
        requests(prometheus::BuildCounter()
                     .Name("opsdb_http_requests_total")
                     .Help("HTTP requests answered, by route pattern, method and status class")
                     .Register(*registry)),
        durations(prometheus::BuildHistogram()
                      .Name("opsdb_http_request_duration_seconds")
                      .Help("Time to answer HTTP requests, by route pattern, method and status "
                            "class")
                      .Register(*registry)),
        batch_duration(prometheus::BuildHistogram()
                           .Name("opsdb_drain_batch_duration_seconds")
                           .Help("Time the main database took for one drain batch")
                           .Register(*registry)
                           .Add({}, kBatchBuckets)),
        batch_size(prometheus::BuildHistogram()
                       .Name("opsdb_drain_batch_transactions")
                       .Help("Transactions in one batch the main database committed")
                       .Register(*registry)
                       .Add({}, kBatchSizeBuckets)) {}

  using Key = std::tuple<std::string, std::string, std::string>;
  struct Cells {
    prometheus::Counter* count;
    prometheus::Histogram* duration;
  };

  Cells cells(std::string_view route, std::string_view method, const std::string& cls) {
    const auto key = std::make_tuple(route, method, std::string_view(cls));
    std::lock_guard lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    const std::map<std::string, std::string> labels = {
        {"route", std::string(route)}, {"method", std::string(method)}, {"status_class", cls}};
    Cells made{&requests.Add(labels), &durations.Add(labels, kRequestBuckets)};
    cache.emplace(Key{route, method, cls}, made);
    return made;
  }

  void add_configuration(Families& out) const {
    out.gauge("opsdb_build_info", "Version and site of the running server (always 1)", 1,
              {{"site", options.site_name},
               {"site_type", options.site_type},
               {"version", options.version}});
    out.gauge("opsdb_alert_buffer_size_transactions",
              "ALERT_BUFFER_SIZE: buffered transactions "
              "above which the site is degraded",
              static_cast<double>(options.thresholds.buffer_size));
    out.gauge("opsdb_alert_replication_lag_seconds",
              "ALERT_REPLICATION_LAG: replication lag above which the site is degraded",
              static_cast<double>(options.thresholds.replication_lag.count()));
  }

  void add_connections(Families& out) const {
    if (!connections) return;
    const ConnectionFigures c = connections();
    out.gauge("opsdb_http_open_connections", "HTTP connections open now",
              static_cast<double>(c.open));
    out.counter("opsdb_http_connections_accepted_total", "HTTP connections accepted and served",
                static_cast<double>(c.accepted));
    out.counter("opsdb_http_connections_refused_total",
                "HTTP connections refused over HTTP_MAX_CONNECTIONS",
                static_cast<double>(c.refused));
    out.counter("opsdb_http_header_timeouts_total",
                "Connections closed because a request header did not arrive in time",
                static_cast<double>(c.header_timeouts));
    out.counter("opsdb_http_body_timeouts_total",
                "Connections closed because a request body did not arrive in time",
                static_cast<double>(c.body_timeouts));
    out.counter("opsdb_http_idle_timeouts_total", "Idle keep-alive connections closed",
                static_cast<double>(c.idle_timeouts));
    out.gauge("opsdb_websocket_clients", "WebSocket clients connected now",
              static_cast<double>(c.websocket_clients));
    out.counter("opsdb_websocket_clients_refused_total",
                "WebSocket upgrades refused over WS_MAX_CLIENTS",
                static_cast<double>(c.websocket_clients_refused));
  }

  const MetricsOptions options;
  std::function<ConnectionFigures()> connections;
  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& durations;
  prometheus::Histogram& batch_duration;
  prometheus::Histogram& batch_size;
  std::mutex mutex;  // guards cache
  std::map<Key, Cells, std::less<>> cache;
};

PrometheusMetrics::PrometheusMetrics(MetricsOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

PrometheusMetrics::~PrometheusMetrics() = default;

void PrometheusMetrics::request_served(std::string_view route, std::string_view method, int status,
                                       std::chrono::steady_clock::duration took) {
  const auto cells =
      impl_->cells(route.empty() ? "unmatched" : route, method_label(method), status_class(status));
  cells.count->Increment();
  cells.duration->Observe(seconds(took));
}

void PrometheusMetrics::batch_applied(std::size_t transactions,
                                      std::chrono::steady_clock::duration took) {
  impl_->batch_duration.Observe(seconds(took));
  impl_->batch_size.Observe(static_cast<double>(transactions));
}

std::string PrometheusMetrics::render(const SiteReport& report) const {
  Families families;
  impl_->add_configuration(families);
  impl_->add_connections(families);
  add_site(families, report);
  auto all = impl_->registry->Collect();
  for (auto& family : families.all()) all.push_back(std::move(family));
  return prometheus::TextSerializer().Serialize(all);
}

void PrometheusMetrics::count_connections(std::function<ConnectionFigures()> connections) {
  impl_->connections = std::move(connections);
}

std::string_view PrometheusMetrics::content_type() const {
  return "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace opsdb
