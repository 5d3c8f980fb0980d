// Redis high availability at the observatory: a master, one replica and three Sentinels; the
// master is killed (SIGKILL) while writes flow. The client follows the Sentinels to the new
// master; writes are refused with 503 only during the failover; every write answered 201 reaches
// the main database exactly once and the drain goes on without an operator. With
// REDIS_MIN_REPLICAS_ACK=1 a write is acknowledged only once the replica holds it, so the
// failover loses none; with 0 the test reports how many acknowledged writes an asynchronous
// failover lost.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/redis_ha.hpp"
#include "support/redis_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/stack.hpp"
#include "support/wait.hpp"

namespace opsdb::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The client on its own: after the master is killed it reaches the promoted replica through
// the Sentinels and finds there what it wrote before; it only ever talks to a master.
TEST(RedisFailoverFaultTest, ClientFollowsTheSentinelsToThePromotedReplica) {
  RedisHaCluster cluster;
  const auto first = cluster.master_port();
  RedisProbe redis(cluster.options());
  redis.command({"SET", "failover:key", "written before"});
  EXPECT_EQ(redis.command({"CONFIG", "GET", "port"}).elements.at(1).str, std::to_string(first));
  // WAIT makes sure the replica has it: this test is about following, not about loss.
  EXPECT_EQ(redis.command({"WAIT", "1", "1000"}).integer, 1);

  const auto killed = cluster.kill_master();
  const auto start = Clock::now();
  std::string port;
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          redis.command({"SET", "failover:after", "1"});
          port = redis.command({"CONFIG", "GET", "port"}).elements.at(1).str;
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      30s, "a write to succeed after the master was killed", 50ms));
  std::cout << "client writes again " << elapsed_ms(start) << " ms after the master was killed\n";
  EXPECT_NE(port, std::to_string(killed));
  EXPECT_EQ(redis.command({"ROLE"}).elements.at(0).str, "master");
  EXPECT_EQ(redis.command({"GET", "failover:key"}).str, "written before");

  // The old master comes back believing it is the master; the Sentinels demote it and the
  // client stays where it is.
  cluster.restart(killed);
  ASSERT_TRUE(
      wait_until([&] { return RedisHaCluster::cli(killed, {"ROLE"}).rfind("slave", 0) == 0; }, 30s,
                 "the old master to be turned into a replica", 100ms));
  for (int i = 0; i < 20; ++i) {
    redis.command({"INCR", "failover:counter"});
    EXPECT_EQ(redis.command({"CONFIG", "GET", "port"}).elements.at(1).str, port);
    std::this_thread::sleep_for(100ms);  // lets the client's periodic Sentinel check run
  }
}

class RedisFailoverSiteFaultTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "runs Redis servers and kills them; run as root like CI";
    SecondarySiteFixture::SetUp();
  }
  void TearDown() override {
    SecondarySiteFixture::TearDown();
    cluster_.reset();
  }

  struct Run {
    std::vector<AckedWrite> acked;     // answered 201, in order
    std::size_t refused = 0;           // answered 503
    std::size_t unconfirmed = 0;       // of those: buffered, the replicas did not confirm it
    double refused_for_ms = 0;         // from the kill to the last 503
    double first_acked_after_ms = -1;  // from the kill to the first 201 after it
  };

  // One client writes every 20 ms; the master is killed after 2 s of writes; writing goes on
  // until writes have been acknowledged again for 3 s. Every answer is 201 or 503.
  Run write_through_a_failover(int replicas, const std::string& min_replicas_ack) {
    cluster_ = std::make_unique<RedisHaCluster>(replicas);
    start_server({{"REDIS_SENTINELS", cluster_->sentinels()},
                  {"REDIS_SENTINEL_MASTER", RedisHaCluster::kMasterName},
                  {"REDIS_MIN_REPLICAS_ACK", min_replicas_ack},
                  // Without the journal a write Redis cannot take is refused: the 503 window
                  // below is the failover itself.
                  {"JOURNAL_MAX_BYTES", "0"}});
    Run run;
    // The server answers /health before its first Redis connection: begin once it takes writes.
    const auto taken = wait_until(
        [&] {
          auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
          if (r.status != 201) return false;
          run.acked.push_back({r.json()["id"], r.json()["transaction_id"], r.json()["status"]});
          return true;
        },
        10s, "the first write to be taken", 50ms);
    EXPECT_TRUE(taken) << taken.message();
    std::atomic<bool> killed{false};
    Clock::time_point kill_time;
    std::mutex mutex;
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      while (!stop) {
        auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
        std::lock_guard lock(mutex);
        if (r.status == 201) {
          auto doc = r.json();
          run.acked.push_back({doc["id"], doc["transaction_id"], doc["status"]});
          if (killed && run.first_acked_after_ms < 0)
            run.first_acked_after_ms = elapsed_ms(kill_time);
        } else {
          EXPECT_EQ(r.status, 503) << r.body;
          ++run.refused;
          if (r.body.find("replicas_unconfirmed") != std::string::npos) ++run.unconfirmed;
          if (killed) run.refused_for_ms = elapsed_ms(kill_time);
        }
        std::this_thread::sleep_for(20ms);  // paces the writes
      }
    });
    std::this_thread::sleep_for(2s);  // writes flow before the failover
    {
      std::lock_guard lock(mutex);
      EXPECT_GT(run.acked.size(), 20u) << "writes did not flow before the failover";
      EXPECT_EQ(run.refused, 0u) << "writes refused before the failover";
      kill_time = Clock::now();
    }
    const auto old_master = cluster_->kill_master();
    killed = true;
    const auto resumed = wait_until(
        [&] {
          std::lock_guard lock(mutex);
          return run.first_acked_after_ms >= 0 &&
                 elapsed_ms(kill_time) > run.first_acked_after_ms + 3000;
        },
        60s, "writes to be acknowledged again for 3 s after the failover", 100ms);
    stop = true;
    writer.join();
    EXPECT_TRUE(resumed) << resumed.message();
    EXPECT_NE(cluster_->master_port(), old_master);
    std::cout << "REDIS_MIN_REPLICAS_ACK=" << min_replicas_ack << ": " << run.acked.size()
              << " writes acknowledged, " << run.refused << " refused with 503 (" << run.unconfirmed
              << " of them buffered but unconfirmed by the replica); 503s for " << std::fixed
              << std::setprecision(0) << run.refused_for_ms
              << " ms after the kill; first 201 again after " << run.first_acked_after_ms
              << " ms\n";
    return run;
  }

  long long ledger_rows(const std::vector<AckedWrite>& writes) {
    return PgProbe(stack_config().main_db)
        .scalar(
            "SELECT count(*) FROM buffered_transaction_log WHERE transaction_id = "
            "ANY($1::uuid[])",
            {uuid_array(writes, true)});
  }
  long long site_ledger_rows() {
    return PgProbe(stack_config().main_db)
        .scalar("SELECT count(*) FROM buffered_transaction_log WHERE site = $1", {site_});
  }
  // The buffer on the current master is empty: the drain has done all it will do.
  bool drained() {
    RedisProbe redis(cluster_->options());
    return redis.llen(prefix_ + "transaction_buffer") == 0;
  }

  std::unique_ptr<RedisHaCluster> cluster_;
};

TEST_F(RedisFailoverSiteFaultTest, ReplicaAcknowledgedWritesSurviveAFailoverExactlyOnce) {
  // Two replicas: after the failover one is left to confirm writes to the new master.
  const auto run = write_through_a_failover(2, "1");
  // A few seconds: the Sentinels' 1 s down-after, their vote, the promotion, and the client's
  // next look (at most 1 s).
  EXPECT_LT(run.refused_for_ms, 15'000) << "writes refused for too long";
  const auto n = static_cast<long long>(run.acked.size());
  ASSERT_TRUE(wait_until([&] { return ledger_rows(run.acked) == n; }, 60s,
                         "every acknowledged write to reach the main DB", 100ms))
      << ledger_rows(run.acked) << " of " << n;
  EXPECT_EQ(PgProbe(stack_config().main_db)
                .scalar("SELECT count(*) FROM executed_obs_unit WHERE id = ANY($1::uuid[])",
                        {uuid_array(run.acked, false)}),
            n);
  ASSERT_TRUE(wait_until([&] { return drained(); }, 60s, "the buffer to drain", 100ms));
  // The unconfirmed 503s may have been applied (that is what their answer says); nothing twice.
  EXPECT_LE(site_ledger_rows(), n + static_cast<long long>(run.unconfirmed));
  RedisProbe redis(cluster_->options());
  EXPECT_EQ(redis.llen(prefix_ + "failed_transactions"), 0) << "dead letters appeared";

  // The drain goes on by itself: a write now is applied. Right after a failover (the Sentinels
  // sometimes elect twice) the new master's replica may still be syncing, and a write is
  // answered 503 replicas_unconfirmed until it confirms again: that is the contract, so the
  // write is retried until a replica confirms it.
  HttpResult r;
  EXPECT_TRUE(wait_until(
      [&] {
        r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
        return r.status == 201;
      },
      20s, "a write confirmed by a replica after the failover", 200ms));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string tx = r.json()["transaction_id"];
  EXPECT_TRUE(
      wait_until([&] { return applied_state(http_get(port(), "/transactions/" + tx).json()); }, 30s,
                 "a write after the failover to be applied", 100ms));
}

// A frozen replica cannot confirm writes: with REDIS_MIN_REPLICAS_ACK=1 they are answered 503,
// saying they are buffered and may still be applied, and they are; once it is back, 201 again.
TEST_F(RedisFailoverSiteFaultTest, WritesTheReplicaDidNotConfirmAreNotAcknowledged) {
  cluster_ = std::make_unique<RedisHaCluster>(1);
  start_server({{"REDIS_SENTINELS", cluster_->sentinels()},
                {"REDIS_SENTINEL_MASTER", RedisHaCluster::kMasterName},
                {"REDIS_MIN_REPLICAS_ACK", "1"},
                {"REDIS_COMMAND_TIMEOUT", "1"}});
  const auto write = [&] {
    return http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  };
  ASSERT_TRUE(wait_until([&] { return write().status == 201; }, 10s, "a first write", 50ms));

  const auto replica = cluster_->replica_ports().at(0);
  cluster_->signal(replica, SIGSTOP);
  const auto start = Clock::now();
  auto r = write();
  const auto took = elapsed_ms(start);
  cluster_->signal(replica, SIGCONT);
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "outcome_unknown");
  EXPECT_EQ(r.json()["error"]["details"]["reason"], "replicas_unconfirmed");
  EXPECT_GE(took, 450) << "answered before the replicas had their time (half the command timeout)";
  const std::string tx = r.json()["transaction_id"];
  // Its fate, honestly: it was buffered, and it is applied.
  EXPECT_TRUE(
      wait_until([&] { return applied_state(http_get(port(), "/transactions/" + tx).json()); }, 30s,
                 "the unconfirmed write to be applied", 100ms));

  r = write();
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(RedisFailoverSiteFaultTest, AsynchronousFailoverReportsWhatItLost) {
  const auto run = write_through_a_failover(1, "0");
  EXPECT_LT(run.refused_for_ms, 15'000) << "writes refused for too long";
  EXPECT_EQ(run.unconfirmed, 0u);
  ASSERT_TRUE(wait_until([&] { return drained(); }, 60s, "the buffer to drain", 100ms));
  // Whatever reached the main database did so once.
  std::this_thread::sleep_for(1s);  // lets a batch in flight finish before counting
  const auto n = static_cast<long long>(run.acked.size());
  const auto applied = ledger_rows(run.acked);
  EXPECT_LE(site_ledger_rows(), n) << "a write was applied twice";
  std::cout << "asynchronous failover: " << n - applied << " of " << n
            << " acknowledged writes lost\n";
  RecordProperty("acknowledged_writes_lost", std::to_string(n - applied));
}

}  // namespace
}  // namespace opsdb::test
