#include "opsdb/status/site_monitor.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "opsdb/core/clock.hpp"
#include "support/log_capture.hpp"

namespace opsdb {
namespace {

using namespace std::chrono_literals;
using State = DatabaseStatus::State;

// A database that answers only when the test says so.
class HeldProbe final : public DatabaseProbe {
 public:
  void probe(Callback<void> done) override {
    ++calls;
    pending = std::move(done);
  }
  void answer(Result<void> r) { std::exchange(pending, nullptr)(std::move(r)); }
  int calls = 0;
  Callback<void> pending;
};

// A buffer that answers only when the test says so, or at once with `figures` when set.
class HeldBuffer final : public BufferInspector {
 public:
  void stats(Callback<BufferStats> done) override {
    ++calls;
    if (figures) return done(*figures);
    pending = std::move(done);
  }
  void status(const std::string&, Callback<TransactionStatus> done) override {
    done(Error{Fault::not_found, "no such transaction", ""});
  }
  void answer(Result<BufferStats> r) { std::exchange(pending, nullptr)(std::move(r)); }
  int calls = 0;
  std::optional<BufferStats> figures;
  Callback<BufferStats> pending;
};

ProcessorSnapshot running_drain() {
  ProcessorSnapshot drain;
  drain.state = DrainState::idle;
  drain.running = true;
  return drain;
}

class SiteMonitorTest : public ::testing::Test {
 protected:
  SiteMonitor& monitor(AlertOptions alerts = AlertOptions{HealthThresholds{10, 300s}, 0ms}) {
    SiteSources sources{probe_, &buffer_, [this] { return drain_; },
                        [this] { return std::optional<ReplicationStatus>(replication_); }};
    monitor_.emplace(std::move(sources), alerts, clock_);
    return *monitor_;
  }

  ManualClock clock_;
  HeldProbe probe_;
  HeldBuffer buffer_;
  ProcessorSnapshot drain_ = running_drain();
  ReplicationStatus replication_;
  std::optional<SiteMonitor> monitor_;
};

TEST_F(SiteMonitorTest, AHangingSourceDelaysNothingAndIsNotAskedTwice) {
  auto& m = monitor();
  m.sample();
  m.sample();
  m.sample();
  EXPECT_EQ(probe_.calls, 1) << "a probe still outstanding is not repeated";
  EXPECT_EQ(buffer_.calls, 1) << "a buffer read still outstanding is not repeated";
  auto report = m.report();
  EXPECT_EQ(report.site.local_db.state, State::unknown);
  EXPECT_EQ(report.site.redis, State::unknown);
  EXPECT_EQ(report.verdict.level, HealthLevel::healthy) << "nothing is known to be wrong yet";

  buffer_.answer(Error{Fault::unavailable, "Redis timed out", ""});
  report = m.report();
  EXPECT_EQ(report.site.redis, State::unreachable);
  EXPECT_EQ(report.verdict.level, HealthLevel::unhealthy);
  EXPECT_EQ(report.verdict.problems, std::vector<std::string>{"redis unreachable"});

  probe_.answer(Result<void>{});
  EXPECT_EQ(m.report().site.local_db.state, State::reachable);
  m.sample();
  EXPECT_EQ(probe_.calls, 2);
  EXPECT_EQ(buffer_.calls, 2);
}

TEST_F(SiteMonitorTest, TheReportCarriesTheLagAsOfItsSample) {
  auto& m = monitor();
  drain_.last_commit_lsn = Lsn(0x5000);
  replication_.replica_lsn = Lsn(0x4000);
  replication_.oldest_awaiting_lsn = Lsn(0x4800);
  replication_.oldest_awaiting_since = clock_.now();
  clock_.advance(7s);
  buffer_.figures = BufferStats{};
  m.sample();
  const auto report = m.report();
  ASSERT_TRUE(report.site.lag);
  EXPECT_DOUBLE_EQ(report.site.lag->seconds, 7);
  EXPECT_EQ(report.site.lag->bytes, 0x1000u);
  EXPECT_EQ(report.sampled_at, clock_.now());
}

TEST_F(SiteMonitorTest, AlertsAreLoggedOnceWithTheirFieldsInJsonLines) {
  test::LogCapture log(LogFormat::json);
  auto& m = monitor();
  buffer_.figures = BufferStats{};
  buffer_.figures->pending = 25;
  for (int i = 0; i < 5; ++i) {
    m.sample();
    if (probe_.pending) probe_.answer(Result<void>{});
    clock_.advance(1s);
  }
  ASSERT_EQ(log.count("alert buffer_size firing"), 1u);
  nlohmann::json line;
  for (const auto& l : log.lines()) {
    if (l.find("alert buffer_size firing") != std::string::npos) line = nlohmann::json::parse(l);
  }
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["alert"], "buffer_size");
  EXPECT_EQ(line["alert_state"], "firing");
  EXPECT_EQ(line["severity"], "warning");
  EXPECT_EQ(line["value"], 25);
  EXPECT_EQ(line["threshold"], 10);
  EXPECT_EQ(m.report().alerts, std::vector<std::string>{"buffer_size"});

  buffer_.figures = BufferStats{};
  for (int i = 0; i < 5; ++i) m.sample();
  EXPECT_EQ(log.count("alert buffer_size cleared"), 1u);
  EXPECT_EQ(log.count("alert buffer_size firing"), 1u);
  EXPECT_TRUE(m.report().alerts.empty());
}

TEST_F(SiteMonitorTest, TextLinesCarryTheFieldsAsKeyValues) {
  test::LogCapture log(LogFormat::text);
  auto& m = monitor();
  buffer_.figures = BufferStats{};
  buffer_.figures->failed = 2;
  m.sample();
  ASSERT_EQ(log.count("alert failed_transactions firing"), 1u);
  EXPECT_EQ(log.count("alert=failed_transactions alert_state=firing severity=critical"), 1u)
      << log.lines().back();
}

}  // namespace
}  // namespace opsdb
