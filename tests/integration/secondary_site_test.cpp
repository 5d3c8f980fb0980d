// The secondary site against the real stack: critical writes are buffered in Redis and answered
// at once, the background processor drains them to the main database in order, data errors end
// in the dead-letter queue where operators replay or resolve them, and a Redis that cannot be
// reached refuses the write instead of pretending it was kept.
//
// Every test runs its own server with its own SITE_NAME, so it sees only its own buffer; the
// site's Redis keys are deleted afterwards.
#include "support/secondary_site.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/redis_probe.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool is_lsn(const json& v) {
  if (!v.is_string()) return false;
  const std::string s = v;
  auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != slash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

class SecondarySiteTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    SecondarySiteFixture::SetUp();
    db_ = std::make_unique<PgProbe>(stack_config().main_db);
  }

  // A buffered write: 201/200 with id, transaction_id and status "buffered". Returns the body.
  json write(const std::string& method, const std::string& target, const json& body,
             int expected = 201) {
    auto r = http_json(port(), method, target, body);
    EXPECT_EQ(r.status, expected) << method << " " << target << ": " << r.body;
    auto doc = r.json();
    EXPECT_EQ(doc.value("status", ""), "buffered") << r.body;
    EXPECT_TRUE(doc.contains("transaction_id") && doc["transaction_id"].is_string()) << r.body;
    return doc;
  }

  json start_observation(int obs_unit_id = 1) {
    return write("POST", "/executed_obs_units/start", {{"obs_unit_id", obs_unit_id}});
  }

  json file(const std::string& observation, const std::string& path) {
    return {{"name", path.substr(path.rfind('/') + 1)},
            {"relative_path", path},
            {"executed_obs_unit_id", observation},
            {"instrument_module_id", 1},
            {"size_bytes", 1024},
            {"checksum", "sha256:beef"}};
  }

  json tx_status(const std::string& tx) {
    auto r = http_get(port(), "/transactions/" + tx);
    if (r.status != 200) return json{{"http_status", r.status}, {"body", r.body}};
    return r.json();
  }

  // Waits until the transaction is applied (or replicated); returns its last status document.
  json wait_applied(const std::string& tx, Millis limit = 15s) {
    json last;
    wait_until([&] { return applied_state(last = tx_status(tx)); }, limit, 20ms);
    return last;
  }

  json wait_state(const std::string& tx, const std::string& state, Millis limit = 15s) {
    json last;
    wait_until([&] { return (last = tx_status(tx)).value("state", "") == state; }, limit, 20ms);
    return last;
  }

  long long ledger(const std::string& tx) {
    return db_->scalar("SELECT count(*) FROM buffered_transaction_log WHERE transaction_id = $1",
                       {tx});
  }

  json failed_list() {
    auto r = http_get(port(), "/admin/failed-transactions");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  static bool listed(const json& list, const std::string& tx) {
    if (!list.contains("items")) return false;
    for (const auto& item : list["items"]) {
      if (item.value("transaction_id", "") == tx) return true;
    }
    return false;
  }

  std::unique_ptr<PgProbe> db_;
};

TEST_F(SecondarySiteTest, BufferedWritesAreAppliedInTheOrderTheyWereMade) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  // Start, status change and finish of one observation, sent back to back so they are still
  // buffered together: applied out of order, the updates would hit a missing row or the final
  // status would be the status change's.
  auto started = start_observation();
  const std::string id = started.value("id", "");
  ASSERT_FALSE(id.empty()) << started.dump();
  auto status = write("PUT", "/executed_obs_units/" + id + "/status",
                      {{"status", "aborted"}, {"reason", "high wind"}}, 200);
  auto finish = write("PUT", "/executed_obs_units/" + id + "/finish", {{"status", "failed"}}, 200);
  std::vector<std::string> txs = {started["transaction_id"], status["transaction_id"],
                                  finish["transaction_id"]};
  EXPECT_EQ(std::set<std::string>(txs.begin(), txs.end()).size(), 3u) << "transaction ids repeat";

  // Known at once, before or after the drain.
  auto first = tx_status(txs[0]);
  EXPECT_EQ(first.value("transaction_id", ""), txs[0]) << first.dump();
  EXPECT_TRUE(first.value("state", "") == "buffered" || applied_state(first)) << first.dump();

  for (const auto& tx : txs) {
    auto doc = wait_applied(tx);
    ASSERT_TRUE(applied_state(doc)) << tx << ": " << doc.dump();
    EXPECT_TRUE(is_lsn(doc["lsn"]))
        << "an applied transaction carries the commit LSN: " << doc.dump();
    EXPECT_TRUE(doc["error"].is_null()) << doc.dump();
    EXPECT_EQ(ledger(tx), 1) << tx;
  }

  EXPECT_EQ(db_->scalar("SELECT count(*) FROM executed_obs_unit WHERE id = $1 AND status = "
                        "'failed' AND end_time IS NOT NULL",
                        {id}),
            1)
      << "the finish must be the last update applied";
  auto changes = db_->column(
      "SELECT to_status FROM executed_obs_unit_status_change WHERE executed_obs_unit_id = $1 "
      "ORDER BY changed_at, id",
      {id});
  EXPECT_EQ(changes, (std::vector<std::string>{"running", "aborted", "failed"}));
  auto reason = db_->column(
      "SELECT reason FROM executed_obs_unit_status_change WHERE executed_obs_unit_id = $1 AND "
      "to_status = 'aborted'",
      {id});
  EXPECT_EQ(reason, (std::vector<std::string>{"high wind"}));
  // The order in which the main DB executed them: each transaction writes its ledger row in its
  // own subtransaction, whose xid grows with execution order.
  auto executed = db_->column(
      "SELECT transaction_id::text FROM buffered_transaction_log WHERE transaction_id = "
      "ANY($1::uuid[]) ORDER BY xmin::text::bigint",
      {"{" + txs[0] + "," + txs[1] + "," + txs[2] + "}"});
  EXPECT_EQ(executed, txs);

  // The buffer is empty again; nothing failed.
  EXPECT_TRUE(wait_until([&] { return redis_->llen(prefix_ + "transaction_buffer") == 0; }, 5s));
  auto stats = http_get(port(), "/buffer-stats").json();
  EXPECT_EQ(stats.value("pending_transactions", -1), 0) << stats.dump();
  EXPECT_EQ(stats.value("failed_transactions", -1), 0) << stats.dump();
  EXPECT_EQ(redis_->llen(prefix_ + "failed_transactions"), 0);
}

TEST_F(SecondarySiteTest, AppliedWritesAreMarkedReplicatedOnceTheReplicaHasThem) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  auto w = start_observation();
  const std::string tx = w["transaction_id"];
  auto doc = wait_state(tx, "replicated", 20s);
  ASSERT_EQ(doc.value("state", ""), "replicated") << doc.dump();
  EXPECT_TRUE(is_lsn(doc["lsn"])) << doc.dump();
  EXPECT_TRUE(wait_until([&] { return redis_->zcard(prefix_ + "awaiting_replication") == 0; }, 5s))
      << "a replicated transaction stays in awaiting_replication";
  EXPECT_EQ(http_get(port(), "/buffer-stats").json().value("awaiting_replication", -1), 0);
  // The replica really has the row.
  PgProbe replica(stack_config().local_db);
  EXPECT_EQ(replica.scalar("SELECT count(*) FROM executed_obs_unit WHERE id = $1",
                           {w["id"].get<std::string>()}),
            1);
}

TEST_F(SecondarySiteTest, DataErrorsEndInTheDeadLetterQueueAndCanBeReplayedOrResolved) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  // An observation and a file in the main DB, through the API.
  auto obs = start_observation();
  const std::string obs_id = obs["id"];
  ASSERT_TRUE(applied_state(wait_applied(obs["transaction_id"])));
  const std::string tag = site_;
  const std::string taken_path = "secondary-test/" + tag + "/taken.fits";
  auto original = write("POST", "/raw_data_files/", file(obs_id, taken_path));
  ASSERT_TRUE(applied_state(wait_applied(original["transaction_id"])));
  const std::string original_id = original["id"];

  // A good write, a duplicate path (a unique-constraint violation at the main DB), a good write.
  auto before =
      write("POST", "/raw_data_files/", file(obs_id, "secondary-test/" + tag + "/a.fits"));
  auto bad = write("POST", "/raw_data_files/", file(obs_id, taken_path));
  auto after = write("POST", "/raw_data_files/", file(obs_id, "secondary-test/" + tag + "/b.fits"));
  const std::string bad_tx = bad["transaction_id"];

  auto failed = wait_state(bad_tx, "failed", 20s);
  ASSERT_EQ(failed.value("state", ""), "failed") << failed.dump();
  EXPECT_EQ(failed.value("attempts", -1), 3) << failed.dump();
  ASSERT_TRUE(failed["error"].is_string()) << failed.dump();
  EXPECT_NE(failed["error"].get<std::string>().find("relative_path"), std::string::npos)
      << "the error names the violated constraint: " << failed.dump();
  // The writes on both sides of it went through; the bad one wrote nothing.
  for (const auto& w : {before, after}) {
    ASSERT_TRUE(applied_state(wait_applied(w["transaction_id"]))) << w.dump();
    EXPECT_EQ(db_->scalar("SELECT count(*) FROM raw_data_file WHERE id = $1",
                          {w["id"].get<std::string>()}),
              1);
  }
  EXPECT_EQ(ledger(bad_tx), 0);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM raw_data_file WHERE id = $1",
                        {bad["id"].get<std::string>()}),
            0);

  // Operators see it, with the transaction document to judge it by.
  auto list = failed_list();
  ASSERT_EQ(list.value("count", -1), 1) << list.dump();
  ASSERT_EQ(list["items"].size(), 1u) << list.dump();
  const auto& item = list["items"][0];
  EXPECT_EQ(item.value("transaction_id", ""), bad_tx);
  EXPECT_EQ(item["transaction"].value("id", ""), bad_tx) << item.dump();
  EXPECT_TRUE(item["transaction"].contains("steps")) << item.dump();
  EXPECT_EQ(item.value("attempts", -1), 3) << item.dump();
  EXPECT_TRUE(item["error"].is_string() &&
              item["error"].get<std::string>().find("relative_path") != std::string::npos)
      << item.dump();
  EXPECT_TRUE(item["failed_at"].is_string()) << item.dump();
  EXPECT_EQ(redis_->llen(prefix_ + "failed_transactions"), 1);
  auto stats = http_get(port(), "/buffer-stats").json();
  EXPECT_EQ(stats.value("failed_transactions", -1), 1) << stats.dump();
  EXPECT_EQ(stats.value("pending_transactions", -1), 0) << stats.dump();
  // /health reports the site as sampled every HEALTH_CHECK_INTERVAL.
  json health;
  EXPECT_TRUE(wait_until(
      [&] {
        health = http_get(port(), "/health").json();
        return health["transaction_buffer"].value("failed", -1) == 1;
      },
      2s))
      << health.dump();
  EXPECT_EQ(health.value("status", ""), "degraded")
      << "a failed transaction makes the site degraded: " << health.dump();

  // Fix the cause, replay: applied exactly once, and off the list.
  db_->exec("DELETE FROM raw_data_file WHERE id = $1", {original_id});
  auto replay = http_request(port(), "POST", "/admin/failed-transactions/" + bad_tx + "/replay");
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.json().value("transaction_id", ""), bad_tx);
  EXPECT_EQ(replay.json().value("status", ""), "buffered");
  auto replayed = wait_applied(bad_tx);
  ASSERT_TRUE(applied_state(replayed)) << replayed.dump();
  EXPECT_EQ(ledger(bad_tx), 1);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM raw_data_file WHERE id = $1 AND relative_path = $2",
                        {bad["id"].get<std::string>(), taken_path}),
            1);
  list = failed_list();
  EXPECT_EQ(list.value("count", -1), 0) << list.dump();
  EXPECT_FALSE(listed(list, bad_tx));
  EXPECT_EQ(redis_->llen(prefix_ + "failed_transactions"), 0);

  // Another bad one, dropped by an operator with a reason.
  auto bad2 = write("POST", "/raw_data_files/", file(obs_id, taken_path));
  const std::string bad2_tx = bad2["transaction_id"];
  ASSERT_EQ(wait_state(bad2_tx, "failed", 20s).value("state", ""), "failed");
  ASSERT_TRUE(listed(failed_list(), bad2_tx));

  const std::string resolve = "/admin/failed-transactions/" + bad2_tx + "/resolve";
  EXPECT_EQ(http_json(port(), "POST", resolve, json::object()).status, 400) << "no reason";
  EXPECT_EQ(http_json(port(), "POST", resolve, {{"reason", ""}}).status, 400) << "empty reason";
  EXPECT_EQ(http_request(port(), "POST", resolve).status, 400) << "no body";
  EXPECT_TRUE(listed(failed_list(), bad2_tx)) << "a refused resolve dropped the transaction";
  const std::string unknown = "00000000-0000-4000-8000-0000000000aa";
  EXPECT_EQ(http_json(port(), "POST", "/admin/failed-transactions/" + unknown + "/resolve",
                      {{"reason", "typo"}})
                .status,
            404);
  EXPECT_EQ(
      http_request(port(), "POST", "/admin/failed-transactions/" + unknown + "/replay").status,
      404);

  auto resolved = http_json(port(), "POST", resolve, {{"reason", "duplicate of " + bad_tx}});
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(resolved.json().value("transaction_id", ""), bad2_tx);
  EXPECT_EQ(resolved.json().value("status", ""), "resolved");
  EXPECT_FALSE(listed(failed_list(), bad2_tx));
  EXPECT_EQ(failed_list().value("count", -1), 0);
  EXPECT_EQ(tx_status(bad2_tx).value("state", ""), "resolved") << tx_status(bad2_tx).dump();
  // Resolving drops it: it is not re-enqueued and never reaches the main DB. The pause lets the
  // drain run meanwhile, to show that nothing happens.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), 0);
  EXPECT_EQ(ledger(bad2_tx), 0);
  EXPECT_EQ(redis_->llen(prefix_ + "failed_transactions"), 0);
  EXPECT_EQ(http_get(port(), "/buffer-stats").json().value("failed_transactions", -1), 0);
  // A resolved transaction cannot be replayed or resolved again.
  EXPECT_EQ(
      http_request(port(), "POST", "/admin/failed-transactions/" + bad2_tx + "/replay").status,
      404);
}

TEST_F(SecondarySiteTest, UnknownReferenceDataIsRefusedBeforeBuffering) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  write("POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  // The known ids load in the background at start; until then the main database decides (such
  // a write is buffered and dead-lettered). Count those.
  long long accepted_unknown = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 987654}});
        accepted_unknown += r.status == 201 ? 1 : 0;
        return r.status == 422;
      },
      10s, 100ms))
      << "an unknown obs_unit_id is never refused";
  auto r = http_json(port(), "POST", "/executed_obs_units/start",
                     {{"obs_unit_id", 1},
                      {"instrument_module_configurations",
                       {{{"instrument_module_id", 55555}, {"configuration", json::object()}}}}});
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.json()["error"]["message"].get<std::string>().find("instrument_module_id 55555"),
            std::string::npos)
      << r.body;
  // A refused write is not buffered: the dead-letter queue ends up holding exactly the unknown
  // writes accepted before the ids loaded, and nothing else is pending.
  EXPECT_TRUE(wait_until(
      [&] {
        return redis_->llen(prefix_ + "transaction_buffer") == 0 &&
               redis_->llen(prefix_ + "failed_transactions") == accepted_unknown;
      },
      15s))
      << "buffer " << redis_->llen(prefix_ + "transaction_buffer") << ", failed "
      << redis_->llen(prefix_ + "failed_transactions") << ", expected failed " << accepted_unknown;
}

TEST_F(SecondarySiteTest, UnknownTransactionIs404) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  auto r = http_get(port(), "/transactions/00000000-0000-4000-8000-0000000000bb");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_TRUE(r.json().contains("error")) << r.body;
}

// REDIS_PORT of the server points where nothing listens: writes go to the local journal at
// once, are answered 201 "journaled", and /health and /transactions/{id} say so.
TEST_F(SecondarySiteTest, WritesAreJournaledWhenRedisCannotBeReached) {
  ASSERT_NO_FATAL_FAILURE(start_server({{"REDIS_PORT", std::to_string(free_port())}}));
  const auto t0 = Clock::now();
  auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  EXPECT_LT(elapsed_ms(t0), 1000) << "journaling must not wait on Redis";
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().value("status", ""), "journaled") << r.body;
  auto status = http_get(port(), "/transactions/" + r.json().value("transaction_id", ""));
  EXPECT_EQ(status.json().value("state", ""), "journaled") << status.body;
  EXPECT_EQ(status.json().value("location", ""), "journal") << status.body;
  HttpResult health;
  EXPECT_TRUE(wait_until(
      [&] {
        health = http_get(port(), "/health");
        return health.json().contains("journal") &&
               health.json()["journal"].value("pending", 0) == 1;
      },
      2s))
      << health.body;
  EXPECT_TRUE(redis_->scan(prefix_ + "*").empty()) << "the real Redis was not asked";
}

// With no journal either (JOURNAL_MAX_BYTES=0), a write Redis cannot take is refused at once.
TEST_F(SecondarySiteTest, WritesAreRefusedWith503WhenNeitherRedisNorTheJournalCanTakeThem) {
  ASSERT_NO_FATAL_FAILURE(start_server(
      {{"REDIS_PORT", std::to_string(free_port())}, {"JOURNAL_MAX_BYTES", "0"}}));
  const auto t0 = Clock::now();
  auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  const double ms = elapsed_ms(t0);
  EXPECT_EQ(r.status, 503) << r.body;
  auto doc = r.json();
  ASSERT_TRUE(doc.contains("error")) << r.body;
  EXPECT_TRUE(doc["error"]["code"].is_string()) << r.body;
  EXPECT_FALSE(doc["error"].value("message", "").empty()) << r.body;
  EXPECT_FALSE(doc.contains("transaction_id")) << "a refused write must not look accepted";
  EXPECT_LT(ms, 2000) << "refusing must not wait long";
  auto put =
      http_json(port(), "PUT", "/executed_obs_units/00000000-0000-4000-8000-0000000000cc/status",
                {{"status", "aborted"}});
  EXPECT_EQ(put.status, 503) << put.body;
  // The real Redis holds nothing of this site.
  EXPECT_TRUE(redis_->scan(prefix_ + "*").empty());
  // Health says why, from its next sample.
  HttpResult health;
  EXPECT_TRUE(wait_until(
      [&] {
        health = http_get(port(), "/health");
        return health.status == 503;
      },
      2s))
      << health.body;
  EXPECT_EQ(health.json().value("status", ""), "unhealthy") << health.body;
}

// With no room in the local journal (JOURNAL_MAX_BYTES=0; a full journal answers the same), a
// write Redis cannot take is refused at once, and nothing of it is kept.
TEST_F(SecondarySiteTest, WritesAreRefusedWhileRedisIsDownAndTheJournalHasNoRoom) {
  if (!is_root()) GTEST_SKIP() << "stopping Redis needs root";
  ASSERT_NO_FATAL_FAILURE(start_server({{"JOURNAL_MAX_BYTES", "0"}}));
  auto kept = start_observation();
  ASSERT_TRUE(applied_state(wait_applied(kept["transaction_id"])));

  ASSERT_EQ(stop_redis(), 0);
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
    EXPECT_LT(elapsed_ms(t0), 2500) << "refusing must not wait long";
    statuses.push_back(r.status);
    EXPECT_EQ(r.status, 503) << r.body;
    ASSERT_TRUE(r.json().contains("error")) << r.body;
    // The first write may be the one that finds the connection dead (sent, fate unknown);
    // after that the client knows and nothing is sent.
    const auto code = r.json()["error"].value("code", "");
    if (i == 0 && code == "outcome_unknown") {
      EXPECT_TRUE(r.json()["transaction_id"].is_string()) << r.body;
    } else {
      EXPECT_EQ(code, "not_accepted") << r.body;
      EXPECT_EQ(r.json()["error"]["details"].value("reason", ""), "journal_full") << r.body;
    }
  }
  ASSERT_EQ(start_redis(), 0);
  redis_ = std::make_unique<RedisProbe>();

  // Nothing of the refused writes was kept; the site takes writes again once Redis is back.
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), 0);
  json again;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
        if (r.status == 201) again = r.json();
        return r.status == 201;
      },
      15s, 200ms))
      << "writes still refused 15 s after Redis came back";
  ASSERT_TRUE(applied_state(wait_applied(again["transaction_id"])));
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM buffered_transaction_log WHERE site = $1", {site_}),
            2)
      << "only the two accepted writes reach the main DB";
}

// A restart (SIGTERM) while clients write and the drain runs: the server stops by itself with
// status 0, and every write it acknowledged was kept. The shutdown is where callbacks of Redis,
// the database threads and the HTTP sessions may outlive what they refer to; the sanitizer
// builds run this test for that.
TEST_F(SecondarySiteTest, SigtermUnderLoadStopsCleanlyAndKeepsEveryAcknowledgedWrite) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  std::atomic<bool> done{false};
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&] {
      while (!done) {
        try {
          auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
          if (r.status != 201) continue;  // refused while stopping: allowed
          std::lock_guard lock(mutex);
          acknowledged.push_back(r.json().value("transaction_id", ""));
        } catch (const std::exception&) {
          // The connection was closed or refused by the stopping server: allowed.
        }
      }
    });
  }
  const bool loaded = wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return acknowledged.size() >= 100;
      },
      30s, 10ms);
  const int status = server_->stop();
  done = true;
  for (auto& client : clients) client.join();
  ASSERT_TRUE(loaded) << "fewer than 100 writes acknowledged within 30 s";
  EXPECT_EQ(status, 0) << "the server did not exit cleanly on SIGTERM";

  for (const auto& tx : acknowledged) {
    EXPECT_TRUE(redis_->exists(prefix_ + "transaction:" + tx))
        << "acknowledged write " << tx << " was not kept";
  }
}

}  // namespace
}  // namespace opsdb::test
