#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "opsdb/status/site_status.hpp"

namespace opsdb {
namespace {

using State = DatabaseStatus::State;

// A secondary site where everything is fine; each case changes what it is about.
SiteSnapshot fine_secondary() {
  SiteSnapshot site;
  site.secondary = true;
  site.local_db.state = State::reachable;
  site.buffer = BufferStats{};
  site.processor = ProcessorSnapshot{};
  site.processor->state = DrainState::idle;
  site.processor->running = true;
  site.replication = ReplicationStatus{};
  return site;
}

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
  add("redis unreachable", [](SiteSnapshot& s) { s.buffer.reset(); }, HealthLevel::unhealthy,
      {"redis unreachable"});
  add("processor stopped", [](SiteSnapshot& s) { s.processor->running = false; },
      HealthLevel::unhealthy, {"background processor stopped"});
  add("buffer at the threshold", [](SiteSnapshot& s) { s.buffer->pending = 1000; },
      HealthLevel::healthy, {});
  add("buffer above the threshold", [](SiteSnapshot& s) { s.buffer->pending = 1001; },
      HealthLevel::degraded, {"transaction buffer above 1000"});
  add("a failed transaction", [](SiteSnapshot& s) { s.buffer->failed = 1; }, HealthLevel::degraded,
      {"failed transactions await an operator"});
  add("main database unreachable",
      [](SiteSnapshot& s) { s.processor->state = DrainState::waiting_for_main_db; },
      HealthLevel::degraded, {"main database unreachable"});
  add("replication stalled", [](SiteSnapshot& s) { s.replication->stalled = true; },
      HealthLevel::degraded, {"replication stalled"});
  add("LSN tracking off", [](SiteSnapshot& s) { s.replication.reset(); }, HealthLevel::healthy, {});
  add("everything wrong at once",
      [](SiteSnapshot& s) {
        s.local_db.state = State::unreachable;
        s.buffer.reset();
        s.processor->running = false;
        s.processor->state = DrainState::waiting_for_main_db;
        s.replication->stalled = true;
      },
      HealthLevel::unhealthy,
      {"redis unreachable", "background processor stopped", "local database unreachable",
       "main database unreachable", "replication stalled"});
  add("degraded in every way",
      [](SiteSnapshot& s) {
        s.buffer->pending = 5000;
        s.buffer->failed = 3;
        s.processor->state = DrainState::waiting_for_main_db;
        s.replication->stalled = true;
      },
      HealthLevel::degraded,
      {"transaction buffer above 1000", "failed transactions await an operator",
       "main database unreachable", "replication stalled"});

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

TEST(HealthRules, LevelsHaveStableNames) {
  EXPECT_EQ(to_string(HealthLevel::healthy), "healthy");
  EXPECT_EQ(to_string(HealthLevel::degraded), "degraded");
  EXPECT_EQ(to_string(HealthLevel::unhealthy), "unhealthy");
}

}  // namespace
}  // namespace opsdb
