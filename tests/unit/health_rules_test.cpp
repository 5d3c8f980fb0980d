#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "opsdb/status/site_status.hpp"
#include "support/site_snapshots.hpp"

namespace opsdb {
namespace {

using State = DatabaseStatus::State;

using test::fine_secondary;

struct Case {
  const char* name;
  SiteSnapshot site;
  HealthLevel level;
  std::vector<std::string> problems;
};

std::vector<Case> cases() {
  std::vector<Case> all;
  auto add = [&](const char* name, auto change, HealthLevel level,
                 std::vector<std::string> problems) {
    SiteSnapshot site = fine_secondary();
    change(site);
    all.push_back({name, std::move(site), level, std::move(problems)});
  };
  add("all fine", [](SiteSnapshot&) {}, HealthLevel::healthy, {});
  add("local database not probed yet", [](SiteSnapshot& s) { s.local_db.state = State::unknown; },
      HealthLevel::healthy, {});
  add("local database unreachable", [](SiteSnapshot& s) { s.local_db.state = State::unreachable; },
      HealthLevel::unhealthy, {"local database unreachable"});
  add("redis unreachable",
      [](SiteSnapshot& s) {
        s.redis = State::unreachable;
        s.buffer.reset();
      },
      HealthLevel::unhealthy, {"redis unreachable"});
  add("redis not asked yet",
      [](SiteSnapshot& s) {
        s.redis = State::unknown;
        s.buffer.reset();
      },
      HealthLevel::healthy, {});
  add("processor stopped", [](SiteSnapshot& s) { s.processor->running = false; },
      HealthLevel::unhealthy, {"background processor stopped"});
  add("buffer at the threshold", [](SiteSnapshot& s) { s.buffer->pending = 1000; },
      HealthLevel::healthy, {});
  add("buffer above the threshold", [](SiteSnapshot& s) { s.buffer->pending = 1001; },
      HealthLevel::degraded, {"transaction buffer above 1000"});
  add("redis memory at 80 % of maxmemory",
      [](SiteSnapshot& s) {
        s.buffer->memory = RedisMemory{800ull << 20, 1000ull << 20};
      },
      HealthLevel::healthy, {});
  add("redis memory above 80 % of maxmemory",
      [](SiteSnapshot& s) {
        s.buffer->memory = RedisMemory{801ull << 20, 1000ull << 20};
      },
      HealthLevel::degraded,
      {"redis memory 801 MB of maxmemory 1000 MB (80 %): at the limit writes are refused (503 "
       "buffer_full)"});
  add("redis memory full",
      [](SiteSnapshot& s) {
        s.buffer->memory = RedisMemory{1001ull << 20, 1000ull << 20};
      },
      HealthLevel::degraded,
      {"redis memory 1001 MB of maxmemory 1000 MB (100 %): at the limit writes are refused (503 "
       "buffer_full)"});
  add("redis without maxmemory",
      [](SiteSnapshot& s) {
        s.buffer->memory = RedisMemory{64ull << 30, 0};
      },
      HealthLevel::healthy, {});
  add("an empty journal", [](SiteSnapshot& s) { s.journal = JournalStats{0, 0, 1 << 30}; },
      HealthLevel::healthy, {});
  add("writes waiting in the journal",
      [](SiteSnapshot& s) { s.journal = JournalStats{12, 9000, 1 << 30}; },
      HealthLevel::degraded, {"12 writes wait in the local journal to be replayed into redis"});
  add("a failed transaction", [](SiteSnapshot& s) { s.buffer->failed = 1; }, HealthLevel::degraded,
      {"failed transactions await an operator"});
  add("main database unreachable",
      [](SiteSnapshot& s) { s.processor->state = DrainState::waiting_for_main_db; },
      HealthLevel::degraded, {"main database unreachable"});
  add("main database refuses the drain",
      [](SiteSnapshot& s) {
        s.processor->state = DrainState::refused_by_main_db;
        s.processor->last_error = "read-only";
      },
      HealthLevel::degraded, {"main database refuses the drain: read-only"});
  add("replication lag at the threshold", [](SiteSnapshot& s) { s.lag->seconds = 300; },
      HealthLevel::healthy, {});
  add("replication lag above the threshold", [](SiteSnapshot& s) { s.lag->seconds = 300.5; },
      HealthLevel::degraded, {"replication lag above 300 s"});
  // Replication slower than LSN_TIMEOUT changes how caches are kept, not the site's health.
  add("replication stalled within the lag threshold",
      [](SiteSnapshot& s) {
        s.replication->stalled = true;
        s.lag->seconds = 45;
      },
      HealthLevel::healthy, {});
  add("LSN tracking off",
      [](SiteSnapshot& s) {
        s.replication.reset();
        s.lag.reset();
      },
      HealthLevel::healthy, {});
  add("everything wrong at once",
      [](SiteSnapshot& s) {
        s.local_db.state = State::unreachable;
        s.redis = State::unreachable;
        s.buffer.reset();
        s.processor->running = false;
        s.processor->state = DrainState::waiting_for_main_db;
        s.lag->seconds = 900;
      },
      HealthLevel::unhealthy,
      {"redis unreachable", "background processor stopped", "local database unreachable",
       "main database unreachable", "replication lag above 300 s"});
  add("degraded in every way",
      [](SiteSnapshot& s) {
        s.buffer->pending = 5000;
        s.buffer->failed = 3;
        s.processor->state = DrainState::waiting_for_main_db;
        s.lag->seconds = 301;
      },
      HealthLevel::degraded,
      {"transaction buffer above 1000", "failed transactions await an operator",
       "main database unreachable", "replication lag above 300 s"});

  SiteSnapshot main_site;
  main_site.local_db.state = State::reachable;
  all.push_back({"main site, database reachable", main_site, HealthLevel::healthy, {}});
  main_site.local_db.state = State::unknown;
  all.push_back({"main site, database not probed yet", main_site, HealthLevel::healthy, {}});
  main_site.local_db.state = State::unreachable;
  all.push_back({"main site, database unreachable",
                 main_site,
                 HealthLevel::unhealthy,
                 {"local database unreachable"}});
  return all;
}

TEST(HealthRules, EachCaseHasItsLevelAndProblems) {
  for (const auto& c : cases()) {
    const auto verdict = assess_health(c.site, HealthThresholds{.buffer_size = 1000});
    EXPECT_EQ(verdict.level, c.level) << c.name;
    EXPECT_EQ(verdict.problems, c.problems) << c.name;
  }
}

TEST(HealthRules, TheBufferThresholdIsConfigurable) {
  auto site = fine_secondary();
  site.buffer->pending = 11;
  const auto verdict = assess_health(site, HealthThresholds{.buffer_size = 10});
  EXPECT_EQ(verdict.level, HealthLevel::degraded);
  EXPECT_EQ(verdict.problems, std::vector<std::string>{"transaction buffer above 10"});
}

TEST(ReplicationLagRule, IsTheAgeOfTheOldestUnreplicatedWriteAndTheWalBetween) {
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'000'000}};
  ProcessorSnapshot drain;
  drain.last_commit_lsn = Lsn(0x3000);
  ReplicationStatus tracker;
  tracker.replica_lsn = Lsn(0x1000);
  tracker.oldest_awaiting_lsn = Lsn(0x2000);
  tracker.oldest_awaiting_since = now - std::chrono::milliseconds(12'500);

  const auto lag = replication_lag(drain, tracker, now);
  EXPECT_DOUBLE_EQ(lag.seconds, 12.5);
  EXPECT_EQ(lag.main_lsn, Lsn(0x3000));
  EXPECT_EQ(lag.replica_lsn, Lsn(0x1000));
  EXPECT_EQ(lag.bytes, 0x2000u);
}

TEST(ReplicationLagRule, IsZeroOnceTheReplicaHasReplayedEverything) {
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'000'000}};
  ProcessorSnapshot drain;
  drain.last_commit_lsn = Lsn(0x3000);
  ReplicationStatus tracker;
  tracker.replica_lsn = Lsn(0x3400);  // other writes replayed too

  const auto lag = replication_lag(drain, tracker, now);
  EXPECT_EQ(lag.seconds, 0);
  EXPECT_EQ(lag.bytes, 0u);
}

TEST(ReplicationLagRule, AfterARestartTheWaitingWritesStandForTheMainDatabase) {
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'000'000}};
  ReplicationStatus tracker;
  tracker.oldest_awaiting_lsn = Lsn(0x2000);
  tracker.oldest_awaiting_since = now - std::chrono::seconds(3);

  auto lag = replication_lag(ProcessorSnapshot{}, tracker, now);
  EXPECT_EQ(lag.main_lsn, Lsn(0x2000));
  EXPECT_FALSE(lag.bytes) << "without the replica's position the bytes are unknown";
  EXPECT_DOUBLE_EQ(lag.seconds, 3);

  tracker.replica_lsn = Lsn(0x1800);
  lag = replication_lag(ProcessorSnapshot{}, tracker, now);
  EXPECT_EQ(lag.bytes, 0x800u);
}

TEST(HealthRules, LevelsHaveStableNames) {
  EXPECT_EQ(to_string(HealthLevel::healthy), "healthy");
  EXPECT_EQ(to_string(HealthLevel::degraded), "degraded");
  EXPECT_EQ(to_string(HealthLevel::unhealthy), "unhealthy");
}

}  // namespace
}  // namespace opsdb
