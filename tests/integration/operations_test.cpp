// What an operator at 3 a.m. sees: /health in each state the site can be in, produced for real,
// the alert lines in the server's log, and /metrics as Prometheus reads it.

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Occurrences of `text` in `log`.
std::size_t count_in(const std::string& log, const std::string& text) {
  std::size_t n = 0;
  for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
  return n;
}

// The keys of the original system's document, with the type each value has at a running site.
void expect_original_document(const json& h) {
  ASSERT_TRUE(h.is_object()) << h.dump();
  for (const char* key : {"status", "database", "redis"}) {
    EXPECT_TRUE(h.contains(key) && h[key].is_string()) << key << ": " << h.dump();
  }
  const auto& buffer = h["transaction_buffer"];
  EXPECT_TRUE(buffer["size"].is_number_integer()) << h.dump();
  EXPECT_TRUE(buffer["failed"].is_number_integer()) << h.dump();
  EXPECT_TRUE(buffer.contains("oldest_pending_seconds")) << h.dump();
  const auto& processor = h["background_processor"];
  EXPECT_TRUE(processor["status"].is_string()) << h.dump();
  EXPECT_TRUE(processor.contains("last_run")) << h.dump();
  EXPECT_TRUE(processor["transactions_processed"].is_number_integer()) << h.dump();
  EXPECT_TRUE(processor["success_rate"].is_number()) << h.dump();
  const auto& lag = h["replication_lag"];
  EXPECT_TRUE(lag["current_lag_seconds"].is_number()) << h.dump();
  EXPECT_TRUE(lag.contains("main_lsn")) << h.dump();
  EXPECT_TRUE(lag.contains("replica_lsn")) << h.dump();
  EXPECT_TRUE(lag["lag_bytes"].is_number_integer()) << h.dump();
}

class OperationsTest : public SecondarySiteFixture {
 protected:
  // Alerts after 0.2 s rather than 5, so that tests see them fire and clear within seconds.
  void start(std::map<std::string, std::string> extra = {}) {
    extra.emplace("ALERT_HOLD", "0.2");
    ASSERT_NO_FATAL_FAILURE(start_server(std::move(extra)));
  }

  HttpResult health_response() { return http_get(port(), "/health"); }
  json health() { return health_response().json(); }

  // Polls /health until `condition` holds; the last document either way.
  json health_when(const std::function<bool(const json&)>& condition, Millis limit = 10s) {
    json last;
    wait_until([&] { return condition(last = health()); }, limit, 50ms);
    return last;
  }

  json write_start(int obs_unit_id = 1) {
    auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", obs_unit_id}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }

  json tx_status(const std::string& tx) { return http_get(port(), "/transactions/" + tx).json(); }

  bool wait_applied(const std::string& tx, Millis limit = 15s) {
    return wait_until([&] { return applied_state(tx_status(tx)); }, limit, 20ms);
  }

  static bool has_problem(const json& h, const std::string& problem) {
    for (const auto& p : h["problems"]) {
      if (p.get<std::string>().find(problem) != std::string::npos) return true;
    }
    return false;
  }
};

// The tests that stop, pause or hang a part of the stack.
class OperationsFaultTest : public OperationsTest {};

TEST_F(OperationsTest, AtRestTheSiteIsHealthyWithTheOriginalDocumentKeyForKey) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto h = health_when([](const json& d) {
    return d.value("database", "") == "connected" && d.value("redis", "") == "connected";
  });
  expect_original_document(h);
  EXPECT_EQ(health_response().status, 200);
  EXPECT_EQ(h["status"], "healthy") << h.dump();
  EXPECT_TRUE(h["problems"].empty()) << h.dump();
  EXPECT_TRUE(h["alerts"].empty()) << h.dump();
  EXPECT_EQ(h["transaction_buffer"]["size"], 0);
  EXPECT_EQ(h["transaction_buffer"]["failed"], 0);
  EXPECT_EQ(h["replication_lag"]["current_lag_seconds"], 0);
  EXPECT_EQ(h["replication_lag"]["lag_bytes"], 0);
  EXPECT_EQ(h["main_database"], "reachable") << h.dump();
}

TEST(OperationsMainSiteTest, TheMainSiteAnswersTheSameKeys) {
  ServerProcess server({{"SITE_TYPE", "main"}, {"HEALTH_CHECK_INTERVAL", "0.1"}});
  json h;
  ASSERT_TRUE(wait_until(
      [&] {
        h = http_get(server.port(), "/health").json();
        return h.value("database", "") == "connected";
      },
      5s))
      << h.dump();
  expect_original_document(h);
  EXPECT_EQ(h["status"], "healthy") << h.dump();
  EXPECT_EQ(h["redis"], "not_used") << h.dump();
  EXPECT_EQ(h["background_processor"]["status"], "not_used") << h.dump();
}

TEST_F(OperationsFaultTest, DegradedWhileTheMainDatabaseIsStoppedAndWritesStillAnswer201) {
  if (!is_root()) GTEST_SKIP() << "stopping the main database needs root";
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_EQ(health_when([](const json& d) { return d.value("status", "") == "healthy"; })["status"],
            "healthy");
  ASSERT_EQ(stop_main(), 0);
  const auto w = write_start();
  auto h =
      health_when([](const json& d) { return d.value("main_database", "") == "unreachable"; }, 20s);
  EXPECT_EQ(h["status"], "degraded") << h.dump();
  EXPECT_TRUE(has_problem(h, "main database unreachable")) << h.dump();
  EXPECT_EQ(health_response().status, 200) << "degraded is not unhealthy";
  EXPECT_GE(h["transaction_buffer"]["size"].get<int>(), 1) << h.dump();
  EXPECT_EQ(write_start().value("status", ""), "buffered") << "writes go on being buffered";
  EXPECT_TRUE(wait_until(
      [&] { return count_in(server_->log(), "alert main_database_unreachable firing") == 1; }, 5s))
      << server_->log();

  ASSERT_EQ(start_main(), 0);
  ASSERT_TRUE(wait_applied(w["transaction_id"], 30s));
  h = health_when([](const json& d) { return d.value("status", "") == "healthy"; }, 20s);
  EXPECT_EQ(h["status"], "healthy") << h.dump();
  EXPECT_TRUE(wait_until(
      [&] { return count_in(server_->log(), "alert main_database_unreachable cleared") == 1; }, 5s))
      << server_->log();
  EXPECT_EQ(count_in(server_->log(), "alert main_database_unreachable firing"), 1u);
}

TEST_F(OperationsTest, ADeadLetterMakesTheSiteDegradedUntilItIsResolved) {
  ASSERT_NO_FATAL_FAILURE(start({{"TRANSACTION_RETRY_DELAY", "0.05"}}));
  auto obs = write_start();
  ASSERT_TRUE(wait_applied(obs["transaction_id"]));
  const json file = {{"name", "taken.fits"},
                     {"relative_path", "operations-test/" + site_ + "/taken.fits"},
                     {"executed_obs_unit_id", obs["id"]},
                     {"instrument_module_id", 1},
                     {"size_bytes", 1024},
                     {"checksum", "sha256:beef"}};
  auto first = http_json(port(), "POST", "/raw_data_files/", file).json();
  ASSERT_TRUE(wait_applied(first["transaction_id"]));
  // The same path again: the main database refuses it (unique constraint) every time.
  auto second = http_json(port(), "POST", "/raw_data_files/", file).json();
  const std::string bad_tx = second["transaction_id"];

  auto h = health_when(
      [](const json& d) { return d["transaction_buffer"].value("failed", 0) == 1; }, 20s);
  EXPECT_EQ(h["status"], "degraded") << h.dump();
  EXPECT_TRUE(has_problem(h, "failed transactions await an operator")) << h.dump();
  EXPECT_TRUE(wait_until(
      [&] { return count_in(server_->log(), "alert failed_transactions firing") == 1; }, 5s))
      << server_->log();

  auto resolved = http_json(port(), "POST", "/admin/failed-transactions/" + bad_tx + "/resolve",
                            {{"reason", "duplicate of " + first["id"].get<std::string>()}});
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  h = health_when([](const json& d) { return d.value("status", "") == "healthy"; });
  EXPECT_EQ(h["status"], "healthy") << h.dump();
  EXPECT_TRUE(wait_until(
      [&] { return count_in(server_->log(), "alert failed_transactions cleared") == 1; }, 5s))
      << server_->log();
}

TEST_F(OperationsFaultTest, ABufferAboveALowThresholdDegradesAndAlertsOnceEachWay) {
  if (!is_root()) GTEST_SKIP() << "stopping the main database needs root";
  ASSERT_NO_FATAL_FAILURE(start({{"ALERT_BUFFER_SIZE", "3"}}));
  ASSERT_EQ(stop_main(), 0);
  std::string last_tx;
  for (int i = 0; i < 5; ++i) last_tx = write_start()["transaction_id"];
  auto h = health_when([](const json& d) { return d["transaction_buffer"].value("size", 0) == 5; });
  EXPECT_EQ(h["status"], "degraded") << h.dump();
  EXPECT_TRUE(has_problem(h, "transaction buffer above 3")) << h.dump();
  ASSERT_TRUE(
      wait_until([&] { return count_in(server_->log(), "alert buffer_size firing") == 1; }, 5s))
      << server_->log();
  // The buffer stays above the threshold and grows: many samples, no second line.
  for (int i = 0; i < 3; ++i) last_tx = write_start()["transaction_id"];
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(count_in(server_->log(), "alert buffer_size firing"), 1u);
  EXPECT_EQ(count_in(server_->log(), "alert buffer_size cleared"), 0u);

  ASSERT_EQ(start_main(), 0);
  ASSERT_TRUE(wait_applied(last_tx, 30s));
  h = health_when([](const json& d) { return d.value("status", "") == "healthy"; }, 20s);
  EXPECT_EQ(h["transaction_buffer"]["size"], 0) << h.dump();
  ASSERT_TRUE(
      wait_until([&] { return count_in(server_->log(), "alert buffer_size cleared") == 1; }, 5s))
      << server_->log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(count_in(server_->log(), "alert buffer_size firing"), 1u);
  EXPECT_EQ(count_in(server_->log(), "alert buffer_size cleared"), 1u);
}

TEST_F(OperationsFaultTest, UnhealthyWhileRedisIsStoppedAndHealthyAgainAfter) {
  if (!is_root()) GTEST_SKIP() << "stopping Redis needs root";
  ASSERT_NO_FATAL_FAILURE(start({{"REDIS_COMMAND_TIMEOUT", "1"}}));
  ASSERT_EQ(health_when([](const json& d) { return d.value("status", "") == "healthy"; })["status"],
            "healthy");
  ASSERT_EQ(stop_redis(), 0);
  HttpResult r;
  ASSERT_TRUE(wait_until([&] { return (r = health_response()).status == 503; }, 10s, 50ms))
      << r.body;
  auto h = r.json();
  EXPECT_EQ(h["status"], "unhealthy") << h.dump();
  EXPECT_EQ(h["redis"], "unreachable") << h.dump();
  EXPECT_TRUE(has_problem(h, "redis unreachable")) << h.dump();
  // Answered from the last sample: Redis being down costs /health nothing.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(health_response().status, 503);
  EXPECT_LT(elapsed_ms(t0) / 20, 50) << "/health waited on Redis";
  EXPECT_TRUE(wait_until(
      [&] { return count_in(server_->log(), "alert redis_unreachable firing") == 1; }, 5s))
      << server_->log();

  ASSERT_EQ(start_redis(), 0);
  ASSERT_TRUE(wait_until([&] { return (r = health_response()).status == 200; }, 20s, 50ms))
      << r.body;
  EXPECT_EQ(r.json()["status"], "healthy") << r.body;
  EXPECT_EQ(r.json()["redis"], "connected") << r.body;
  EXPECT_TRUE(wait_until(
      [&] { return count_in(server_->log(), "alert redis_unreachable cleared") == 1; }, 5s))
      << server_->log();
  EXPECT_EQ(count_in(server_->log(), "alert redis_unreachable firing"), 1u);
}

TEST_F(OperationsFaultTest, ReplicationLagShowsWhileReplayIsPausedAndReturnsToZero) {
  ASSERT_NO_FATAL_FAILURE(start());
  ReplayPause pause;
  std::string tx;
  for (int i = 0; i < 3; ++i) tx = write_start()["transaction_id"];
  ASSERT_TRUE(wait_applied(tx));
  auto h = health_when([](const json& d) {
    const auto& lag = d["replication_lag"];
    return lag["current_lag_seconds"].is_number() && lag["current_lag_seconds"].get<double>() > 1 &&
           lag["lag_bytes"].is_number() && lag["lag_bytes"].get<long long>() > 0;
  });
  const auto& lag = h["replication_lag"];
  EXPECT_GT(lag["current_lag_seconds"].get<double>(), 1) << h.dump();
  EXPECT_GT(lag["lag_bytes"].get<long long>(), 0) << h.dump();
  ASSERT_TRUE(lag["main_lsn"].is_string() && lag["replica_lsn"].is_string()) << h.dump();
  EXPECT_EQ(lag["main_lsn"], tx_status(tx)["lsn"]) << "the main database after our last write";
  EXPECT_GT(h["transaction_buffer"]["awaiting_replication"].get<int>(), 0) << h.dump();

  pause.resume();
  h = health_when([](const json& d) {
    const auto& l = d["replication_lag"];
    return l["current_lag_seconds"] == 0 && l["lag_bytes"] == 0;
  });
  EXPECT_EQ(h["replication_lag"]["current_lag_seconds"], 0) << h.dump();
  EXPECT_EQ(h["replication_lag"]["lag_bytes"], 0) << h.dump();
  EXPECT_EQ(h["status"], "healthy") << h.dump();
}

// The value of the sample named exactly `series` in a Prometheus text exposition; 0 when absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

// promtool's verdict on an exposition: its output, empty when it has nothing to say.
std::string promtool_check(const std::string& text, int& status) {
  const std::string path = "/tmp/opsdb-metrics-" + random_hex(8) + ".txt";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  std::string output;
  std::FILE* p = ::popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  char buffer[512];
  while (p != nullptr && std::fgets(buffer, sizeof buffer, p) != nullptr) output += buffer;
  status = p != nullptr ? ::pclose(p) : -1;
  std::remove(path.c_str());
  return output;
}

TEST_F(OperationsTest, MetricsCountExactlyTheRequestsMadeAndPassPromtool) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string starts =
      R"(opsdb_http_requests_total{method="POST",route="/executed_obs_units/start",status_class="2xx"})";
  const std::string refused =
      R"(opsdb_http_requests_total{method="POST",route="/executed_obs_units/start",status_class="4xx"})";
  const std::string unmatched =
      R"(opsdb_http_requests_total{method="GET",route="unmatched",status_class="4xx"})";
  const std::string scrapes =
      R"(opsdb_http_requests_total{method="GET",route="/metrics",status_class="2xx"})";
  auto before = http_get(port(), "/metrics");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");

  std::string tx;
  for (int i = 0; i < 7; ++i) tx = write_start()["transaction_id"];
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", "x"}}).status,
              400);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(http_get(port(), "/no/such/route/" + std::to_string(i)).status, 404);
  }
  ASSERT_TRUE(wait_applied(tx));
  // Both documents show the site as last sampled.
  health_when([](const json& d) {
    return d["background_processor"].value("transactions_processed", 0) >= 7;
  });
  auto after = http_get(port(), "/metrics");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(sample(after.body, starts) - sample(before.body, starts), 7);
  EXPECT_EQ(sample(after.body, refused) - sample(before.body, refused), 2);
  EXPECT_EQ(sample(after.body, unmatched) - sample(before.body, unmatched), 3);
  EXPECT_EQ(sample(after.body, scrapes) - sample(before.body, scrapes), 1);
  EXPECT_EQ(after.body.find("/no/such/route"), std::string::npos) << "raw paths are no labels";
  EXPECT_GE(sample(after.body, "opsdb_drain_applied_transactions_total"), 7);
  EXPECT_GE(sample(after.body, "opsdb_drain_batch_duration_seconds_count"), 1);
  EXPECT_EQ(sample(after.body, "opsdb_redis_up"), 1);
  EXPECT_EQ(sample(after.body, "opsdb_local_database_up"), 1);
  EXPECT_EQ(sample(after.body, R"(opsdb_health_status{status="healthy"})"), 1);

  int status = -1;
  const auto verdict = promtool_check(after.body, status);
  EXPECT_EQ(status, 0) << verdict;
  EXPECT_EQ(verdict, "") << "promtool check metrics has something to say:\n" << verdict;
}

}  // namespace
}  // namespace opsdb::test
