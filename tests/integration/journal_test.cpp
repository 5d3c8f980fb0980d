// Writes at a secondary site survive Redis being down: while it is stopped or frozen, critical
// writes are journaled locally and answered 201; when it is back they are replayed into the
// buffer in order and reach the main database exactly once — also when the server is killed
// (SIGKILL) while journaling or in the middle of the replay.
//
// The tests stop, freeze and kill the stack's Redis and the server (root only); the fixture
// puts the stack back in TearDown whatever happened.
#include <gtest/gtest.h>

#include <atomic>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/redis_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using Acked = AckedWrite;  // status: "buffered" or "journaled"

class JournalFaultTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "stopping and killing Redis needs root";
    SecondarySiteFixture::SetUp();
  }

  // Client `c` of `clients` starts observations until `stop`, `gap` apart; what was answered
  // 201 goes to `acked[c]` in the order it was acknowledged. Any other answer is a failure
  // unless `tolerate_errors` (a test that kills the server under its clients).
  void write_until(std::atomic<bool>& stop, int clients, Millis gap,
                   std::vector<std::vector<Acked>>& acked, bool tolerate_errors = false) {
    acked.assign(clients, {});
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        while (!stop) {
          HttpResult r;
          try {
            r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
          } catch (const std::exception& e) {
            if (!tolerate_errors) ADD_FAILURE() << "write failed: " << e.what();
            if (tolerate_errors) std::this_thread::sleep_for(20ms);
            continue;
          }
          if (r.status != 201) {
            if (!tolerate_errors) {
              ADD_FAILURE() << "write answered " << r.status << ": " << r.body;
              return;
            }
            continue;
          }
          auto doc = r.json();
          acked[c].push_back({doc["id"], doc["transaction_id"], doc["status"]});
          if (gap.count() > 0) std::this_thread::sleep_for(gap);
        }
      });
    }
    for (auto& t : threads) t.join();
  }

  static std::vector<Acked> all(const std::vector<std::vector<Acked>>& acked) {
    std::vector<Acked> out;
    for (const auto& client : acked) out.insert(out.end(), client.begin(), client.end());
    return out;
  }

  static std::size_t journaled(const std::vector<Acked>& writes) {
    return static_cast<std::size_t>(std::count_if(
        writes.begin(), writes.end(), [](const Acked& w) { return w.status == "journaled"; }));
  }

  long long ledger_rows(const std::vector<Acked>& writes) {
    return PgProbe(stack_config().main_db)
        .scalar("SELECT count(*) FROM buffered_transaction_log WHERE transaction_id = "
                "ANY($1::uuid[])",
                {uuid_array(writes, true)});
  }

  long long site_ledger_rows() {
    return PgProbe(stack_config().main_db)
        .scalar("SELECT count(*) FROM buffered_transaction_log WHERE site = $1", {site_});
  }

  // Every acknowledged write reached the main database (ledger and row) exactly once; at most
  // `unacknowledged` more of this site did (writes in flight when the server was killed: on
  // disk, never answered), and nothing was dead-lettered.
  void expect_exactly_once(const std::vector<Acked>& writes, long long unacknowledged = 0) {
    const auto n = static_cast<long long>(writes.size());
    std::set<std::string> distinct;
    for (const auto& w : writes) distinct.insert(w.tx);
    EXPECT_EQ(static_cast<long long>(distinct.size()), n) << "transaction ids repeat";
    ASSERT_TRUE(wait_until([&] { return ledger_rows(writes) == n; }, 60s, 100ms))
        << ledger_rows(writes) << " of " << n << " acknowledged writes reached the main DB";
    PgProbe db(stack_config().main_db);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM executed_obs_unit WHERE id = ANY($1::uuid[])",
                        {uuid_array(writes, false)}),
              n)
        << "observation rows";
    const auto site_rows = site_ledger_rows();
    EXPECT_GE(site_rows, n);
    EXPECT_LE(site_rows, n + unacknowledged) << "writes of this site applied more than once?";
    EXPECT_EQ(redis_->llen(prefix_ + "failed_transactions"), 0) << "dead letters appeared";
  }

  // Each client's writes were executed in the order they were acknowledged (the ledger row's
  // xid grows with execution order).
  void expect_in_order(const std::vector<std::vector<Acked>>& acked) {
    PgProbe db(stack_config().main_db);
    for (std::size_t c = 0; c < acked.size(); ++c) {
      auto executed = db.column(
          "SELECT transaction_id::text FROM buffered_transaction_log WHERE transaction_id = "
          "ANY($1::uuid[]) ORDER BY xmin::text::bigint",
          {uuid_array(acked[c], true)});
      std::vector<std::string> expected;
      for (const auto& w : acked[c]) expected.push_back(w.tx);
      EXPECT_EQ(executed, expected) << "client " << c << ": execution order differs";
    }
  }

  bool journal_empty() {
    auto r = http_get(port(), "/health");
    return r.status > 0 && r.json().contains("journal") &&
           r.json()["journal"].value("pending", -1) == 0;
  }
};

// Redis stopped for 30 s while four clients write: every write is answered 201 (journaled while
// Redis is away), /health and /transactions/{id} show the journal, and once Redis is back every
// write reaches the main DB exactly once, each client's in the order it was acknowledged.
TEST_F(JournalFaultTest, RedisStoppedWritesAreJournaledThenDrainedExactlyOnceInOrder) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  std::atomic<bool> stop{false};
  std::vector<std::vector<Acked>> acked;
  std::thread writers([&] { write_until(stop, 4, 20ms, acked); });

  std::this_thread::sleep_for(1s);
  ASSERT_EQ(stop_redis(), 0);
  json health;
  EXPECT_TRUE(wait_until(
      [&] {
        health = http_get(port(), "/health").json();
        return health.contains("journal") && health["journal"].value("pending", 0) > 0;
      },
      10s, 100ms))
      << health.dump();
  std::this_thread::sleep_for(30s);
  ASSERT_EQ(start_redis(), 0);
  redis_ = std::make_unique<RedisProbe>();
  std::this_thread::sleep_for(2s);
  stop = true;
  writers.join();

  auto writes = all(acked);
  const auto n_journaled = journaled(writes);
  std::cout << "[figures] Redis stopped 30 s: " << writes.size() << " writes answered 201, "
            << n_journaled << " of them journaled" << std::endl;
  ASSERT_GT(n_journaled, 100u) << "the outage did not reach the journal";
  ASSERT_TRUE(wait_until([&] { return journal_empty(); }, 30s, 100ms))
      << http_get(port(), "/health").body;
  expect_exactly_once(writes);
  expect_in_order(acked);
}

// Journaled writes are known to /transactions/{id}; a retry with its Idempotency-Key is answered
// from the journal; with Redis back the write is applied once.
TEST_F(JournalFaultTest, AJournaledWriteIsKnownAndARetryIsAnsweredFromTheJournal) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  ASSERT_EQ(stop_redis(), 0);
  const std::map<std::string, std::string> keyed = {{"Content-Type", "application/json"},
                                                    {"Idempotency-Key", "journal-" + site_}};
  const std::string body = json{{"obs_unit_id", 1}}.dump();
  auto first = http_request(port(), "POST", "/executed_obs_units/start", body, keyed);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.json()["status"], "journaled");
  const std::string tx = first.json()["transaction_id"];
  auto status = http_get(port(), "/transactions/" + tx);
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.json().value("state", ""), "journaled") << status.body;

  auto retry = http_request(port(), "POST", "/executed_obs_units/start", body, keyed);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(retry.json()["transaction_id"], tx);
  EXPECT_EQ(retry.headers["idempotent-replayed"], "true");

  ASSERT_EQ(start_redis(), 0);
  redis_ = std::make_unique<RedisProbe>();
  wait_replicated(tx);
  expect_exactly_once({{first.json()["id"], tx, "journaled"}});
}

// The server killed (SIGKILL) while clients write with Redis down: every write it acknowledged
// was on disk, and reaches the main DB exactly once after the restart.
TEST_F(JournalFaultTest, ServerKilledWhileJournalingLosesNothingAcknowledged) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  ASSERT_EQ(stop_redis(), 0);
  std::atomic<bool> stop{false};
  std::vector<std::vector<Acked>> acked;
  constexpr int kClients = 4;
  std::thread writers([&] { write_until(stop, kClients, 0ms, acked, true); });
  std::this_thread::sleep_for(1500ms);
  server_->kill();
  stop = true;
  writers.join();
  auto writes = all(acked);
  ASSERT_GT(journaled(writes), 50u);
  EXPECT_EQ(journaled(writes), writes.size());

  ASSERT_EQ(start_redis(), 0);
  redis_ = std::make_unique<RedisProbe>();
  server_->restart();
  ASSERT_TRUE(server_->running());
  std::cout << "[figures] killed while journaling: " << writes.size()
            << " acknowledged journaled writes" << std::endl;
  ASSERT_TRUE(wait_until([&] { return journal_empty(); }, 30s, 100ms));
  // At most one write per client was on disk but unanswered when the server died.
  expect_exactly_once(writes, kClients);
  expect_in_order(acked);
}

// The server killed (SIGKILL) in the middle of replaying the journal into Redis: after the
// restart the replay starts over, and what reached the buffer before the kill is not buffered
// twice.
TEST_F(JournalFaultTest, ServerKilledDuringTheJournalReplayLosesAndDuplicatesNothing) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  ASSERT_EQ(stop_redis(), 0);
  std::atomic<bool> stop{false};
  std::vector<std::vector<Acked>> acked;
  std::thread writers([&] { write_until(stop, 4, 0ms, acked); });
  std::this_thread::sleep_for(4s);
  stop = true;
  writers.join();
  auto writes = all(acked);
  const auto n = static_cast<long long>(writes.size());
  ASSERT_EQ(journaled(writes), writes.size());
  ASSERT_GT(n, 500);

  // The drain must not empty the buffer meanwhile: the count of the buffer is the replay's.
  ASSERT_EQ(stop_main(), 0);
  ASSERT_EQ(start_redis(), 0);
  redis_ = std::make_unique<RedisProbe>();
  const auto buffer = prefix_ + "transaction_buffer";
  ASSERT_TRUE(wait_until([&] { return redis_->llen(buffer) >= n / 10; }, 30s, 1ms))
      << "the replay did not start";
  server_->kill();
  const auto at_kill = redis_->llen(buffer);
  std::cout << "[figures] server killed with " << at_kill << " of " << n
            << " journaled writes replayed" << std::endl;
  ASSERT_LT(at_kill, n) << "the replay finished before the kill; the test proved nothing";

  server_->restart();
  ASSERT_TRUE(server_->running());
  ASSERT_TRUE(wait_until([&] { return journal_empty(); }, 60s, 50ms));
  EXPECT_EQ(redis_->llen(buffer), n) << "the replay after the restart buffered writes twice";
  ASSERT_EQ(start_main(), 0);
  expect_exactly_once(writes);
  expect_in_order(acked);
}

// 32 clients writing with Idempotency-Keys while Redis is frozen (SIGSTOP) past the command
// deadline: writes caught in the stall are journaled (or, if even that failed, answered
// outcome_unknown and retried with their key); none answered not_accepted is ever applied, and
// every acknowledged write reaches the main DB exactly once — although Redis, once thawed,
// executes the timed-out enqueues the journal's replay then finds already buffered.
TEST_F(JournalFaultTest, ThirtyTwoClientsWriteThroughARedisStallPastTheDeadline) {
  ASSERT_NO_FATAL_FAILURE(start_server({{"REDIS_COMMAND_TIMEOUT", "0.3"}}));
  constexpr int kClients = 32;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<Acked> writes;
  std::map<std::string, int> answers;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop; ++i) {
        const std::map<std::string, std::string> headers = {
            {"Content-Type", "application/json"},
            {"Idempotency-Key", "stall-" + std::to_string(c) + "-" + std::to_string(i)}};
        const std::string body = json{{"obs_unit_id", 1}}.dump();
        HttpResult r;
        // A 503 outcome_unknown is retried with its key until it is answered.
        for (int attempt = 0; attempt < 100; ++attempt) {
          r = http_request(port(), "POST", "/executed_obs_units/start", body, headers);
          std::lock_guard lock(mutex);
          const auto code = r.json().is_object() && r.json().contains("error")
                                ? r.json()["error"].value("code", "")
                                : r.json().value("status", "");
          ++answers[std::to_string(r.status) + " " + code];
          if (r.status != 503 || code != "outcome_unknown") break;
        }
        if (r.status == 201) {
          std::lock_guard lock(mutex);
          writes.push_back({r.json()["id"], r.json()["transaction_id"], r.json()["status"]});
        }
        std::this_thread::sleep_for(5ms);
      }
    });
  }
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(pause_redis(), 0);
  std::this_thread::sleep_for(3s);
  ASSERT_EQ(resume_redis(), 0);
  std::this_thread::sleep_for(1s);
  stop = true;
  for (auto& t : clients) t.join();

  std::cout << "[figures] 32 clients through a 3 s Redis stall:";
  for (const auto& [answer, count] : answers) std::cout << " " << answer << "=" << count;
  std::cout << std::endl;
  EXPECT_GT(journaled(writes), 0u) << "the stall did not reach the journal";
  ASSERT_TRUE(wait_until([&] { return journal_empty(); }, 30s, 100ms));
  // Nothing but the acknowledged writes: a write answered not_accepted would be extra.
  expect_exactly_once(writes);
  EXPECT_EQ(site_ledger_rows(), static_cast<long long>(writes.size()));
}

}  // namespace
}  // namespace opsdb::test
