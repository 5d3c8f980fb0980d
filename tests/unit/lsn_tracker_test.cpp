// The LSN tracker's decisions, step by step, with a fake replication queue, a fake replica, a
// manual clock and a scheduler that runs nothing until told: no sleeping, no services.
#include "opsdb/processor/lsn_tracker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "support/step_scheduler.hpp"

namespace opsdb {
namespace {

using std::chrono::milliseconds;
using test::StepScheduler;

Lsn lsn(const char* text) {
  return *Lsn::parse(text);
}

// Transactions awaiting replication, in memory; unreachable while `down`.
class FakeReplicationQueue final : public ReplicationQueue {
 public:
  struct Entry {
    Lsn lsn;
    Clock::time_point applied_at;
  };
  std::map<std::string, Entry> awaiting;
  std::vector<std::string> replicated;
  bool down = false;

  void oldest(Callback<std::optional<AwaitingReplication>> done) override {
    if (down) return done(Error{Fault::unavailable, "connection refused", ""});
    if (awaiting.empty()) return done(std::optional<AwaitingReplication>{});
    auto it = std::min_element(awaiting.begin(), awaiting.end(),
                               [](auto& a, auto& b) { return a.second.lsn < b.second.lsn; });
    done(std::optional<AwaitingReplication>{
        AwaitingReplication{it->second.lsn, it->second.applied_at}});
  }
  void up_to(Lsn position, std::size_t limit, Callback<std::vector<std::string>> done) override {
    if (down) return done(Error{Fault::unavailable, "connection refused", ""});
    std::vector<std::string> ids;
    for (const auto& [id, entry] : awaiting) {
      if (entry.lsn <= position && ids.size() < limit) ids.push_back(id);
    }
    done(std::move(ids));
  }
  void mark_replicated(std::vector<std::string> ids, Callback<void> done) override {
    if (down) return done(Error{Fault::unavailable, "connection refused", ""});
    for (const auto& id : ids) {
      awaiting.erase(id);
      replicated.push_back(id);
    }
    done({});
  }
};

// A replica at a given replay position; unreachable while `down`.
class FakeReplica final : public ReplicaProgress {
 public:
  std::optional<Lsn> position;
  bool down = false;
  int asked = 0;

  void replay_lsn(Callback<std::optional<Lsn>> done) override {
    ++asked;
    if (down) return done(Error{Fault::unavailable, "connection refused", ""});
    done(position);
  }
};

class LsnTrackerTest : public ::testing::Test {
 protected:
  static LsnTrackerOptions options() {
    LsnTrackerOptions o;
    o.check_interval = milliseconds(100);
    o.timeout = milliseconds(30'000);
    return o;
  }

  void applied(const std::string& id, const char* at) {
    queue_.awaiting[id] = {lsn(at), clock_.now()};
  }

  std::vector<std::string> replicated() {
    auto ids = queue_.replicated;
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // Runs polls until `limit` of (simulated) time has passed, and what they started at once.
  void run_for(milliseconds limit) {
    milliseconds waited(0);
    while (waited < limit && scheduler_.run_until_wait().count() >= 0) waited += scheduler_.step();
    scheduler_.run_until_wait();
  }

  ManualClock clock_;
  StepScheduler scheduler_{clock_};
  FakeReplicationQueue queue_;
  FakeReplica replica_;
  LsnTracker tracker_{options(), queue_, replica_, scheduler_, clock_};
};

TEST_F(LsnTrackerTest, MarksReplicatedEverythingUpToTheReplayPositionComparedAsNumbers) {
  applied("a", "0/FFFFFFFE");
  applied("b", "0/FFFFFFFF");
  applied("c", "1/0");
  applied("d", "1/10");
  // As text "0/FFFFFFFF" sorts after "1/0"; as positions it comes before.
  replica_.position = lsn("0/FFFFFFFF");
  tracker_.start();
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(100));
  EXPECT_EQ(replicated(), (std::vector<std::string>{"a", "b"}));

  replica_.position = lsn("1/0");
  scheduler_.step();
  scheduler_.run_until_wait();
  EXPECT_EQ(replicated(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(queue_.awaiting.count("d"), 1u) << "a write past the replay position is not there yet";
  EXPECT_EQ(tracker_.snapshot().replica_lsn, lsn("1/0"));
  EXPECT_FALSE(tracker_.snapshot().stalled);
}

TEST_F(LsnTrackerTest, NothingIsMarkedWhileTheReplicaIsBehind) {
  applied("a", "0/3000");
  replica_.position = lsn("0/2FFF");
  tracker_.start();
  run_for(milliseconds(1000));
  EXPECT_TRUE(queue_.replicated.empty());
  EXPECT_EQ(tracker_.snapshot().replica_lsn, lsn("0/2FFF"));
  EXPECT_FALSE(tracker_.snapshot().stalled) << "behind, but not for LSN_TIMEOUT yet";

  replica_.position = lsn("0/3000");
  run_for(milliseconds(100));
  EXPECT_EQ(replicated(), std::vector<std::string>{"a"});
}

TEST_F(LsnTrackerTest, StalledAfterTheTimeoutReportedUntilTheReplicaCatchesUp) {
  applied("a", "0/3000");
  replica_.position = lsn("0/1000");
  tracker_.start();
  run_for(milliseconds(29'000));
  EXPECT_FALSE(tracker_.snapshot().stalled);
  run_for(milliseconds(1'200));
  EXPECT_TRUE(tracker_.snapshot().stalled) << "not replicated within LSN_TIMEOUT";
  EXPECT_TRUE(queue_.replicated.empty()) << "the caches stay while the replica lacks the write";
  // Stalled, the replica is asked less often.
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(5000));

  replica_.position = lsn("0/3000");
  scheduler_.step();
  scheduler_.run_until_wait();
  EXPECT_EQ(replicated(), std::vector<std::string>{"a"});
  EXPECT_FALSE(tracker_.snapshot().stalled);
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(100)) << "back to the normal interval";
}

TEST_F(LsnTrackerTest, AnUnreachableReplicaKeepsTheCaches) {
  applied("a", "0/3000");
  replica_.down = true;
  tracker_.start();
  run_for(milliseconds(31'000));
  EXPECT_TRUE(queue_.replicated.empty());
  EXPECT_EQ(queue_.awaiting.count("a"), 1u);
  EXPECT_TRUE(tracker_.snapshot().stalled);
  EXPECT_EQ(tracker_.snapshot().replica_lsn, std::nullopt);

  replica_.down = false;
  replica_.position = lsn("0/3000");
  run_for(milliseconds(5'000));
  EXPECT_EQ(replicated(), std::vector<std::string>{"a"});
  EXPECT_FALSE(tracker_.snapshot().stalled);
}

TEST_F(LsnTrackerTest, AnUnreachableQueueIsAskedAgainNextInterval) {
  applied("a", "0/3000");
  replica_.position = lsn("0/3000");
  queue_.down = true;
  tracker_.start();
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(100));
  EXPECT_EQ(replica_.asked, 0);
  scheduler_.step();
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(100));

  queue_.down = false;
  scheduler_.step();
  scheduler_.run_until_wait();
  EXPECT_EQ(replicated(), std::vector<std::string>{"a"});
}

TEST_F(LsnTrackerTest, StopEndsTheLoop) {
  tracker_.start();
  tracker_.stop();
  scheduler_.step();
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(-1));
}

}  // namespace
}  // namespace opsdb
