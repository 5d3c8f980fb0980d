#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "opsdb/metrics/prometheus_metrics.hpp"

namespace opsdb {
namespace {

using namespace std::chrono_literals;

// The value of the sample named exactly `series` (name and labels as printed), or -1.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

PrometheusMetrics metrics() {
  return PrometheusMetrics({"1.2.3", "observatory", "secondary", HealthThresholds{1000, 300s}});
}

TEST(PrometheusMetricsTest, RequestsAreCountedByRoutePatternMethodAndStatusClass) {
  PrometheusMetrics m({"1.2.3", "observatory", "secondary", {}});
  for (int i = 0; i < 3; ++i) m.request_served("/executed_obs_units/{id}", "GET", 200, 2ms);
  m.request_served("/executed_obs_units/{id}", "GET", 404, 1ms);
  m.request_served("/executed_obs_units/start", "POST", 201, 300us);
  const auto text = m.render(SiteReport{});
  EXPECT_EQ(
      sample(
          text,
          R"(opsdb_http_requests_total{method="GET",route="/executed_obs_units/{id}",status_class="2xx"})"),
      3);
  EXPECT_EQ(
      sample(
          text,
          R"(opsdb_http_requests_total{method="GET",route="/executed_obs_units/{id}",status_class="4xx"})"),
      1);
  EXPECT_EQ(
      sample(
          text,
          R"(opsdb_http_request_duration_seconds_count{method="POST",route="/executed_obs_units/start",status_class="2xx"})"),
      1);
  EXPECT_EQ(
      sample(
          text,
          R"(opsdb_http_request_duration_seconds_bucket{method="POST",route="/executed_obs_units/start",status_class="2xx",le="0.0005"})"),
      1);
  EXPECT_EQ(
      sample(
          text,
          R"(opsdb_http_request_duration_seconds_bucket{method="POST",route="/executed_obs_units/start",status_class="2xx",le="0.00025"})"),
      0);
}

TEST(PrometheusMetricsTest, ConnectionsAndWebSocketClientsAreTheServersFigures) {
  auto m = metrics();
  ConnectionFigures figures;
  figures.open = 7;
  figures.refused = 2;
  figures.websocket_clients = 3;
  figures.websocket_clients_refused = 4;
  m.count_connections([figures] { return figures; });
  const auto text = m.render(SiteReport{});
  EXPECT_EQ(sample(text, "opsdb_http_open_connections"), 7);
  EXPECT_EQ(sample(text, "opsdb_http_connections_refused_total"), 2);
  EXPECT_EQ(sample(text, "opsdb_websocket_clients"), 3);
  EXPECT_EQ(sample(text, "opsdb_websocket_clients_refused_total"), 4);
}

TEST(PrometheusMetricsTest, WhatClientsMakeUpNeverBecomesALabel) {
  PrometheusMetrics m({"1.2.3", "observatory", "secondary", {}});
  // Unmatched paths and invented methods: one series each, whatever was sent.
  m.request_served("", "GET", 404, 1ms);
  m.request_served("", "BREW", 405, 1ms);
  m.request_served("", "X-INVENTED-1", 405, 1ms);
  const auto text = m.render(SiteReport{});
  EXPECT_EQ(
      sample(text,
             R"(opsdb_http_requests_total{method="GET",route="unmatched",status_class="4xx"})"),
      1);
  EXPECT_EQ(
      sample(text,
             R"(opsdb_http_requests_total{method="other",route="unmatched",status_class="4xx"})"),
      2);
  EXPECT_EQ(text.find("BREW"), std::string::npos);
  EXPECT_EQ(text.find("INVENTED"), std::string::npos);
}

TEST(PrometheusMetricsTest, TheSiteIsRenderedFromTheReport) {
  auto m = metrics();
  SiteReport report;
  report.site.secondary = true;
  report.site.local_db.state = DatabaseStatus::State::reachable;
  report.site.redis = DatabaseStatus::State::reachable;
  report.site.buffer = BufferStats{.pending = 42,
                                   .failed = 2,
                                   .awaiting_replication = 7,
                                   .oldest_pending_seconds = 12.5,
                                   .size_mb = 1};
  report.site.processor = ProcessorSnapshot{};
  report.site.processor->state = DrainState::waiting_for_main_db;
  report.site.processor->running = true;
  report.site.processor->transactions_processed = 1234;
  report.site.processor->dead_lettered = 2;
  report.site.lag = ReplicationLag{};
  report.site.lag->seconds = 3.5;
  report.site.lag->bytes = 4096;
  report.verdict.level = HealthLevel::degraded;
  m.batch_applied(100, 40ms);
  const auto text = m.render(report);

  EXPECT_EQ(sample(text, "opsdb_buffer_pending_transactions"), 42);
  EXPECT_EQ(sample(text, "opsdb_buffer_failed_transactions"), 2);
  EXPECT_EQ(sample(text, "opsdb_buffer_awaiting_replication_transactions"), 7);
  EXPECT_EQ(sample(text, "opsdb_buffer_oldest_pending_age_seconds"), 12.5);
  EXPECT_EQ(sample(text, "opsdb_buffer_size_bytes"), 1024 * 1024);
  EXPECT_EQ(sample(text, "opsdb_drain_applied_transactions_total"), 1234);
  EXPECT_EQ(sample(text, "opsdb_drain_dead_lettered_transactions_total"), 2);
  EXPECT_EQ(sample(text, R"(opsdb_processor_state{state="waiting_for_main_db"})"), 1);
  EXPECT_EQ(sample(text, R"(opsdb_processor_state{state="running"})"), 0);
  EXPECT_EQ(sample(text, "opsdb_processor_running"), 1);
  EXPECT_EQ(sample(text, "opsdb_main_database_up"), 0);
  EXPECT_EQ(sample(text, "opsdb_redis_up"), 1);
  EXPECT_EQ(sample(text, "opsdb_local_database_up"), 1);
  EXPECT_EQ(sample(text, "opsdb_replication_lag_seconds"), 3.5);
  EXPECT_EQ(sample(text, "opsdb_replication_lag_bytes"), 4096);
  EXPECT_EQ(sample(text, R"(opsdb_health_status{status="degraded"})"), 1);
  EXPECT_EQ(sample(text, R"(opsdb_health_status{status="healthy"})"), 0);
  EXPECT_EQ(sample(text, "opsdb_drain_batch_duration_seconds_count"), 1);
  EXPECT_EQ(sample(text, "opsdb_drain_batch_transactions_sum"), 100);
  EXPECT_EQ(sample(text, "opsdb_alert_buffer_size_transactions"), 1000);
  EXPECT_EQ(sample(text, "opsdb_alert_replication_lag_seconds"), 300);
  EXPECT_EQ(
      sample(text, R"(opsdb_build_info{site="observatory",site_type="secondary",version="1.2.3"})"),
      1);
}

TEST(PrometheusMetricsTest, WhatIsNotKnownIsNoSeriesRatherThanAGuess) {
  auto m = metrics();
  SiteReport report;
  report.site.secondary = true;
  report.site.processor = ProcessorSnapshot{};  // starting: the main database not tried yet
  const auto text = m.render(report);
  EXPECT_EQ(text.find("opsdb_redis_up"), std::string::npos);
  EXPECT_EQ(text.find("opsdb_local_database_up"), std::string::npos);
  EXPECT_EQ(text.find("opsdb_main_database_up"), std::string::npos);
  EXPECT_EQ(text.find("opsdb_buffer_pending_transactions"), std::string::npos);
}

}  // namespace
}  // namespace opsdb
