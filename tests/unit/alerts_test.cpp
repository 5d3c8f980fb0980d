#include "opsdb/status/alerts.hpp"
#include "opsdb/status/redis_memory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "support/site_snapshots.hpp"

namespace opsdb {
namespace {

using namespace std::chrono_literals;
using State = DatabaseStatus::State;
using TimePoint = std::chrono::system_clock::time_point;

using test::fine_secondary;

// Feeds one snapshot per second and records every event as "name firing|cleared".
class AlertSequence {
 public:
  explicit AlertSequence(AlertOptions options) : monitor_(options) {}

  void feed(const SiteSnapshot& site) {
    now_ += 1s;
    for (const auto& e : monitor_.observe(site, now_)) {
      events_.push_back(e.alert + (e.firing ? " firing" : " cleared"));
      last_ = e;
    }
  }
  void feed(const std::function<void(SiteSnapshot&)>& change, int times = 1) {
    SiteSnapshot site = fine_secondary();
    change(site);
    for (int i = 0; i < times; ++i) feed(site);
  }

  const std::vector<std::string>& events() const { return events_; }
  const AlertEvent& last() const { return last_; }
  const AlertMonitor& monitor() const { return monitor_; }

 private:
  AlertMonitor monitor_;
  TimePoint now_{std::chrono::seconds{1'000'000}};
  std::vector<std::string> events_;
  AlertEvent last_;
};

AlertOptions no_hold(std::int64_t buffer = 100, std::chrono::seconds lag = 300s) {
  return AlertOptions{HealthThresholds{buffer, lag}, 0ms};
}

TEST(Alerts, ABufferThatCrossesHoversAndClearsLogsOnceEachWay) {
  AlertSequence seq(no_hold(100));
  auto pending = [&](std::int64_t n) { seq.feed([n](SiteSnapshot& s) { s.buffer->pending = n; }); };
  pending(50);
  pending(100);  // at the threshold is not above it
  EXPECT_TRUE(seq.events().empty());
  pending(101);
  ASSERT_EQ(seq.events(), std::vector<std::string>{"buffer_size firing"});
  EXPECT_EQ(seq.last().value, 101);
  EXPECT_EQ(seq.last().threshold, 100);
  EXPECT_FALSE(seq.last().critical);
  EXPECT_NE(seq.last().message.find("ALERT_BUFFER_SIZE 100"), std::string::npos)
      << seq.last().message;
  // Hovering at the threshold, within the band: nothing new.
  for (std::int64_t n : {99, 101, 100, 95, 91, 102, 100, 91}) pending(n);
  EXPECT_EQ(seq.events().size(), 1u);
  pending(90);  // 90 % of the threshold: cleared
  EXPECT_EQ(seq.events(), (std::vector<std::string>{"buffer_size firing", "buffer_size cleared"}));
  for (std::int64_t n : {95, 100, 60}) pending(n);
  EXPECT_EQ(seq.events().size(), 2u);
  pending(150);  // a new crossing is a new alert
  EXPECT_EQ(seq.events().back(), "buffer_size firing");
  EXPECT_EQ(seq.events().size(), 3u);
}

// Redis refuses every write at its maxmemory; the warning comes at 80 % of it, once per crossing.
TEST(Alerts, RedisMemoryNearItsLimitWarnsOnceBeforeWritesAreRefused) {
  AlertSequence seq(no_hold());
  constexpr std::uint64_t kLimit = 2ull << 30;  // 2 GiB
  auto used = [&](double share) {
    seq.feed([share](SiteSnapshot& s) {
      s.buffer->memory = RedisMemory{static_cast<std::uint64_t>(share * kLimit), kLimit};
    });
  };
  used(0.5);
  used(0.8);  // at the threshold is not above it
  EXPECT_TRUE(seq.events().empty());
  used(0.81);
  ASSERT_EQ(seq.events(), std::vector<std::string>{"redis_memory firing"});
  EXPECT_FALSE(seq.last().critical) << "a warning: writes are still taken";
  EXPECT_DOUBLE_EQ(*seq.last().threshold, 0.8 * kLimit);
  EXPECT_NE(seq.last().message.find("1659 MB of maxmemory 2048 MB (81 %)"), std::string::npos)
      << seq.last().message;
  EXPECT_NE(seq.last().message.find("buffer_full"), std::string::npos) << seq.last().message;
  // Hovering around the threshold, and full: nothing new.
  for (double share : {0.79, 0.85, 0.75, 1.0, 0.73}) used(share);
  EXPECT_EQ(seq.events().size(), 1u);
  used(0.7);  // 90 % of the threshold: cleared
  EXPECT_EQ(seq.events(),
            (std::vector<std::string>{"redis_memory firing", "redis_memory cleared"}));
  used(0.95);  // a new crossing is a new alert
  EXPECT_EQ(seq.events().back(), "redis_memory firing");
  EXPECT_EQ(seq.events().size(), 3u);
}

TEST(Alerts, RedisWithoutAMemoryLimitOrNotAskedNeverWarnsOfIt) {
  AlertSequence seq(no_hold());
  seq.feed([](SiteSnapshot& s) { s.buffer->memory = RedisMemory{5ull << 30, 0}; }, 3);
  seq.feed([](SiteSnapshot& s) { s.buffer->memory.reset(); }, 3);
  EXPECT_TRUE(seq.events().empty());
}

TEST(RedisMemoryInfo, ReadsUsedMemoryAndMaxmemoryFromTheInfoText) {
  const auto memory = redis_memory_from_info(
      "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nused_memory_rss:9\r\n"
      "maxmemory:2147483648\r\nmaxmemory_human:2.00G\r\nmaxmemory_policy:noeviction\r\n");
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->used_bytes, 1048576u);
  EXPECT_EQ(memory->max_bytes, 2147483648u);
  EXPECT_DOUBLE_EQ(*memory->share_of_limit(), 1048576.0 / 2147483648.0);
  EXPECT_EQ(describe(*memory), "1 MB of maxmemory 2048 MB (0 %)");
  const auto unlimited = redis_memory_from_info("used_memory:10\nmaxmemory:0\n");
  ASSERT_TRUE(unlimited);
  EXPECT_FALSE(unlimited->share_of_limit());
  EXPECT_FALSE(redis_memory_from_info("used_memory_rss:10\r\nmaxmemory:20\r\n"));
  EXPECT_FALSE(redis_memory_from_info("used_memory:ten\r\n"));
}

TEST(Alerts, AConditionMustLastTheHoldTimeBeforeItFiresOrClears) {
  AlertSequence seq(AlertOptions{HealthThresholds{}, 5s});
  auto redis_down = [](SiteSnapshot& s) {
    s.redis = State::unreachable;
    s.buffer.reset();
  };
  // A link that flaps every two seconds never holds long enough.
  for (int i = 0; i < 10; ++i) {
    seq.feed(redis_down, 2);
    seq.feed([](SiteSnapshot&) {}, 2);
  }
  EXPECT_TRUE(seq.events().empty()) << seq.events().front();
  seq.feed(redis_down, 5);
  EXPECT_TRUE(seq.events().empty()) << "fired before the hold time";
  seq.feed(redis_down, 1);
  ASSERT_EQ(seq.events(), std::vector<std::string>{"redis_unreachable firing"});
  EXPECT_TRUE(seq.last().critical);
  seq.feed(redis_down, 60);
  seq.feed([](SiteSnapshot&) {}, 3);
  seq.feed(redis_down, 1);  // a short return does not clear
  EXPECT_EQ(seq.events().size(), 1u);
  seq.feed([](SiteSnapshot&) {}, 6);
  EXPECT_EQ(seq.events(),
            (std::vector<std::string>{"redis_unreachable firing", "redis_unreachable cleared"}));
}

TEST(Alerts, EveryConditionFiresOnceAndClearsOnce) {
  struct Case {
    const char* alert;
    std::function<void(SiteSnapshot&)> cause;
    bool critical;
  };
  const std::vector<Case> cases = {
      {"buffer_size", [](SiteSnapshot& s) { s.buffer->pending = 5000; }, false},
      {"failed_transactions", [](SiteSnapshot& s) { s.buffer->failed = 1; }, true},
      {"replication_lag", [](SiteSnapshot& s) { s.lag->seconds = 301; }, false},
      {"processor_stopped", [](SiteSnapshot& s) { s.processor->running = false; }, true},
      {"processor_stopped", [](SiteSnapshot& s) { s.processor->state = DrainState::stalled; },
       true},
      {"main_database_unreachable",
       [](SiteSnapshot& s) { s.processor->state = DrainState::waiting_for_main_db; }, false},
      {"main_database_unreachable",
       [](SiteSnapshot& s) { s.processor->state = DrainState::refused_by_main_db; }, false},
      {"redis_unreachable",
       [](SiteSnapshot& s) {
         s.redis = State::unreachable;
         s.buffer.reset();
       },
       true},
      {"local_database_unreachable", [](SiteSnapshot& s) { s.local_db.state = State::unreachable; },
       true},
  };
  for (const auto& c : cases) {
    AlertSequence seq(no_hold(1000));
    seq.feed([](SiteSnapshot&) {}, 3);
    seq.feed(c.cause, 10);
    ASSERT_EQ(seq.events(), std::vector<std::string>{std::string(c.alert) + " firing"}) << c.alert;
    EXPECT_EQ(seq.last().critical, c.critical) << c.alert;
    EXPECT_EQ(seq.monitor().firing(), std::vector<std::string>{c.alert});
    seq.feed([](SiteSnapshot&) {}, 10);
    EXPECT_EQ(seq.events(), (std::vector<std::string>{std::string(c.alert) + " firing",
                                                      std::string(c.alert) + " cleared"}))
        << c.alert;
    EXPECT_TRUE(seq.monitor().firing().empty()) << c.alert;
  }
}

TEST(Alerts, WhatIsNotKnownNeitherFiresNorClears) {
  AlertSequence seq(no_hold());
  seq.feed([](SiteSnapshot& s) { s.processor->state = DrainState::waiting_for_main_db; });
  ASSERT_EQ(seq.events(), std::vector<std::string>{"main_database_unreachable firing"});
  // Another process holds the drain lease: the main database's state is not known here.
  seq.feed([](SiteSnapshot& s) { s.processor->state = DrainState::standby; }, 10);
  // Redis and the local database not asked yet.
  seq.feed(
      [](SiteSnapshot& s) {
        s.processor->state = DrainState::waiting_for_main_db;
        s.redis = State::unknown;
        s.buffer.reset();
        s.local_db.state = State::unknown;
      },
      10);
  EXPECT_EQ(seq.events().size(), 1u);
}

TEST(Alerts, AtTheMainSiteItsOwnDatabaseIsTheMainDatabase) {
  AlertSequence seq(no_hold());
  SiteSnapshot main_site;
  main_site.local_db.state = State::unreachable;
  main_site.local_db.last_error = "connection refused";
  seq.feed(main_site);
  ASSERT_EQ(seq.events(), std::vector<std::string>{"main_database_unreachable firing"});
  EXPECT_TRUE(seq.last().critical) << "without its database the main site cannot write";
  EXPECT_NE(seq.last().message.find("connection refused"), std::string::npos);
  main_site.local_db.state = State::reachable;
  seq.feed(main_site);
  EXPECT_EQ(seq.events().back(), "main_database_unreachable cleared");
}

}  // namespace
}  // namespace opsdb
