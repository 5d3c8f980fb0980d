#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "opsdb/status/metrics.hpp"

namespace opsdb {

/// The HTTP server's connection counters, as /metrics shows them.
struct ConnectionFigures {
  std::size_t open = 0;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;  // over HTTP_MAX_CONNECTIONS
  std::uint64_t header_timeouts = 0;
  std::uint64_t idle_timeouts = 0;
  std::uint64_t body_timeouts = 0;
  std::size_t websocket_clients = 0;            // of `open`, those upgraded to WebSocket
  std::uint64_t websocket_clients_refused = 0;  // over WS_MAX_CLIENTS
};

struct MetricsOptions {
  std::string version;
  std::string site_name;
  std::string site_type;
  HealthThresholds thresholds;  // exported, so alerting rules follow the configuration
};

/// Metrics in Prometheus's text format, kept in a prometheus-cpp registry. Requests are labelled
/// by route pattern, method and status class only, never by path, so the number of series stays
/// bounded whatever clients send. The site's state comes from the report at each render.
class PrometheusMetrics final : public Metrics {
 public:
  explicit PrometheusMetrics(MetricsOptions options);
  ~PrometheusMetrics() override;
  PrometheusMetrics(const PrometheusMetrics&) = delete;
  PrometheusMetrics& operator=(const PrometheusMetrics&) = delete;

  void request_served(std::string_view route, std::string_view method, int status,
                      std::chrono::steady_clock::duration took) override;
  void batch_applied(std::size_t transactions, std::chrono::steady_clock::duration took) override;
  std::string render(const SiteReport& report) const override;
  std::string_view content_type() const override;

  /// Where the HTTP server's connection counters come from; set before serving.
  void count_connections(std::function<ConnectionFigures()> connections);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsdb
