// The drain against faults that are not outages: a write the main database refuses while
// parsing the whole batch, a main database that refuses every write for a while (read-only,
// revoked privileges), a local database that is a primary, a step that throws, and two servers
// draining one buffer. None of them may stop the drain for good, and none that is the site's
// fault may put a write into the dead-letter queue.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "opsdb/core/clock.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/tx/transaction_builder.hpp"
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

class DrainFaultsTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    SecondarySiteFixture::SetUp();
    main_ = stack_config().main_db;
    db_ = std::make_unique<PgProbe>(main_);
  }

  void TearDown() override {
    // Whatever a test did to the main database is undone, whether or not it passed.
    if (is_root()) {
      try {
        PgProbe su(superuser(main_));
        su.exec("ALTER DATABASE " + main_.name + " RESET default_transaction_read_only");
        su.exec("GRANT INSERT ON executed_obs_unit TO " + main_.user);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "restoring the main database: " << e.what();
      }
    }
    SecondarySiteFixture::TearDown();
  }

  // Puts transaction documents into the site's buffer as the enqueue would (oldest first), so a
  // test can buffer what the API itself refuses.
  void seed_buffer(const std::vector<json>& docs) {
    for (const auto& doc : docs) {
      const std::string id = doc["id"];
      redis_->command({"HSET", prefix_ + "transaction:" + id, "state", "buffered", "attempts", "0",
                       "created_at", doc["created_at"], "origin", doc["origin"], "error", ""});
      redis_->command({"LPUSH", prefix_ + "transaction_buffer", doc.dump()});
    }
  }

  json start_doc() const { return builder_.start_observation({{"obs_unit_id", 1}}).tx.to_json(); }

  json write_start() {
    auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }

  json tx_status(const std::string& tx) { return http_get(port(), "/transactions/" + tx).json(); }

  json health() { return http_get(port(), "/health").json(); }

  bool applied(const std::string& tx) { return applied_state(tx_status(tx)); }

  long long rows(const std::string& observation) {
    return db_->scalar("SELECT count(*) FROM executed_obs_unit WHERE id = $1", {observation});
  }

  long long failed_count() { return redis_->llen(prefix_ + "failed_transactions"); }

  static bool mentions(const json& problems, const std::string& word) {
    if (!problems.is_array()) return false;
    return std::any_of(problems.begin(), problems.end(), [&](const json& p) {
      return p.is_string() && p.get<std::string>().find(word) != std::string::npos;
    });
  }

  // The order in which the main database applied transactions: each ledger row is written in
  // its own subtransaction, whose xid grows with execution order.
  std::vector<std::string> ledger_order(const std::vector<std::string>& txs) {
    std::string list;
    for (const auto& tx : txs) list += (list.empty() ? "" : ",") + tx;
    return db_->column(
        "SELECT transaction_id::text FROM buffered_transaction_log "
        "WHERE transaction_id = ANY(string_to_array($1, ',')::uuid[]) "
        "ORDER BY xmin::text::bigint",
        {list});
  }

  SystemClock clock_;
  TransactionBuilder builder_{"observatory", clock_};
  DbConfig main_;
  std::unique_ptr<PgProbe> db_;
};

TEST_F(DrainFaultsTest, AWriteTheDatabaseCannotParseIsDeadLetteredAndTheOthersAreApplied) {
  // PostgreSQL's jsonb refuses \u0000 while reading the batch parameter, before any
  // transaction of the batch runs: the whole call fails, and nothing in the answer says which
  // transaction is at fault.
  auto good1 = start_doc();
  auto poison = start_doc();
  poison["steps"][0]["row"]["conditions"] = {{"x", std::string("a\0b", 3)}};
  auto good2 = start_doc();
  seed_buffer({good1, poison, good2});
  ASSERT_NO_FATAL_FAILURE(start_server());

  const std::string id1 = good1["steps"][0]["row"]["id"], id2 = good2["steps"][0]["row"]["id"];
  ASSERT_TRUE(wait_until([&] { return applied(good2["id"]); }, 30s))
      << "the write behind the poison one never reached the main database: "
      << tx_status(good2["id"]).dump() << "\n"
      << health().dump();
  EXPECT_EQ(rows(id1), 1);
  EXPECT_EQ(rows(id2), 1);
  EXPECT_EQ(rows(poison["steps"][0]["row"]["id"]), 0);
  EXPECT_EQ(ledger_order({good1["id"], good2["id"]}),
            (std::vector<std::string>{good1["id"], good2["id"]}));

  auto failed = http_get(port(), "/admin/failed-transactions").json();
  ASSERT_EQ(failed["items"].size(), 1u) << failed.dump();
  EXPECT_EQ(failed["items"][0]["transaction_id"], poison["id"]);
  EXPECT_NE(failed["items"][0]["error"].get<std::string>().find("22P05"), std::string::npos)
      << "the dead letter carries PostgreSQL's error: " << failed.dump();
  // From /health's next sample of the site.
  EXPECT_TRUE(wait_until([&] { return health()["status"] == "degraded"; }, 2s)) << health().dump();

  auto resolved = http_json(
      port(), "POST", "/admin/failed-transactions/" + poison["id"].get<std::string>() + "/resolve",
      {{"reason", "condition text with a NUL byte"}});
  EXPECT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_TRUE(wait_until([&] { return health()["status"] == "healthy"; }, 10s)) << health().dump();
}

TEST_F(DrainFaultsTest, AnUnreadableDocumentGetsAnIdThatCanBeResolvedButNotReplayed) {
  redis_->command({"LPUSH", prefix_ + "transaction_buffer", "{not a transaction"});
  auto good = start_doc();
  seed_buffer({good});
  ASSERT_NO_FATAL_FAILURE(start_server());
  ASSERT_TRUE(wait_until([&] { return applied(good["id"]); }, 15s)) << health().dump();

  auto failed = http_get(port(), "/admin/failed-transactions").json();
  ASSERT_EQ(failed["items"].size(), 1u) << failed.dump();
  const std::string id = failed["items"][0]["transaction_id"];
  EXPECT_TRUE(is_uuid(id)) << "an id operators can name: " << id;

  auto replay = http_request(port(), "POST", "/admin/failed-transactions/" + id + "/replay");
  EXPECT_EQ(replay.status, 409) << replay.body;
  EXPECT_NE(replay.body.find("cannot be replayed"), std::string::npos) << replay.body;
  auto resolve = http_json(port(), "POST", "/admin/failed-transactions/" + id + "/resolve",
                           {{"reason", "garbage in the buffer"}});
  EXPECT_EQ(resolve.status, 200) << resolve.body;
  EXPECT_EQ(failed_count(), 0);
}

TEST_F(DrainFaultsTest, AReadOnlyMainDatabasePausesTheDrainAndDeadLettersNothing) {
  if (!is_root()) GTEST_SKIP() << "needs the PostgreSQL superuser (run as root)";
  ASSERT_NO_FATAL_FAILURE(start_server());
  PgProbe su(superuser(main_));
  su.exec("ALTER DATABASE " + main_.name + " SET default_transaction_read_only = on");
  // The setting applies to new sessions: end the drain's.
  su.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND "
      "usename = $2",
      {main_.name, main_.user});

  std::vector<std::string> txs, ids;
  for (int i = 0; i < 5; ++i) {
    auto w = write_start();
    txs.push_back(w["transaction_id"]);
    ids.push_back(w["id"]);
  }
  // Long enough for many attempts at the test's retry settings (0.2 s, 3 attempts).
  const auto until = std::chrono::steady_clock::now() + 40s;
  bool said_why = false;
  while (std::chrono::steady_clock::now() < until) {
    auto h = health();
    said_why = said_why || mentions(h["problems"], "read-only");
    ASSERT_EQ(failed_count(), 0) << "a read-only main database dead-lettered a write: " << h.dump();
    std::this_thread::sleep_for(500ms);  // pacing the observation of a fault that must not act
  }
  EXPECT_TRUE(said_why) << "health never named the cause: " << health().dump();
  EXPECT_EQ(health()["status"], "degraded");
  for (const auto& tx : txs) EXPECT_EQ(tx_status(tx)["state"], "buffered");

  su.exec("ALTER DATABASE " + main_.name + " RESET default_transaction_read_only");
  su.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND "
      "usename = $2",
      {main_.name, main_.user});
  db_ = std::make_unique<PgProbe>(main_);  // its session was among those ended
  ASSERT_TRUE(wait_until([&] { return applied(txs.back()); }, 30s)) << health().dump();
  for (const auto& id : ids) EXPECT_EQ(rows(id), 1);
  EXPECT_EQ(ledger_order(txs), txs) << "applied out of order";
  EXPECT_EQ(failed_count(), 0);
  EXPECT_TRUE(wait_until([&] { return health()["status"] == "healthy"; }, 10s)) << health().dump();
}

TEST_F(DrainFaultsTest, ARevokedPrivilegePausesTheDrainAndDeadLettersNothing) {
  if (!is_root()) GTEST_SKIP() << "needs the PostgreSQL superuser (run as root)";
  ASSERT_NO_FATAL_FAILURE(start_server());
  PgProbe su(superuser(main_));
  su.exec("REVOKE INSERT ON executed_obs_unit FROM " + main_.user);

  std::vector<std::string> txs;
  for (int i = 0; i < 3; ++i) txs.push_back(write_start()["transaction_id"]);
  bool said_why = false;
  // Several retry rounds at the test's settings: a row-level error would be dead-lettered
  // within about a second.
  const auto until = std::chrono::steady_clock::now() + 8s;
  while (std::chrono::steady_clock::now() < until) {
    said_why = said_why || mentions(health()["problems"], "permission");
    ASSERT_EQ(failed_count(), 0) << health().dump();
    std::this_thread::sleep_for(250ms);  // pacing the observation of a fault that must not act
  }
  EXPECT_TRUE(said_why) << health().dump();

  su.exec("GRANT INSERT ON executed_obs_unit TO " + main_.user);
  ASSERT_TRUE(wait_until([&] { return applied(txs.back()); }, 30s)) << health().dump();
  EXPECT_EQ(ledger_order(txs), txs);
  EXPECT_EQ(failed_count(), 0);
}

TEST_F(DrainFaultsTest, WritesReachReplicatedWhenTheLocalDatabaseIsThePrimary) {
  // LOCAL_DB unset (the default) or a promoted replica: the local database is not in recovery
  // and has no replay position.
  auto env = stack_environment();
  ASSERT_NO_FATAL_FAILURE(start_server(
      {{"LOCAL_DB_HOST", env["MAIN_DB_HOST"]}, {"LOCAL_DB_PORT", env["MAIN_DB_PORT"]}}));
  const std::string tx = write_start()["transaction_id"];
  EXPECT_TRUE(wait_until([&] { return tx_status(tx).value("state", "") == "replicated"; }, 15s))
      << tx_status(tx).dump();
}

TEST_F(DrainFaultsTest, AnExceptionInADrainStepIsSurvivedAndShown) {
  ASSERT_NO_FATAL_FAILURE(start_server({{"DRAIN_TEST_FAULT", "throw:3"}}));
  std::vector<std::string> txs;
  for (int i = 0; i < 3; ++i) txs.push_back(write_start()["transaction_id"]);
  for (const auto& tx : txs) {
    EXPECT_TRUE(wait_until([&] { return applied(tx); }, 15s)) << health().dump();
  }
  auto processor = health()["background_processor"];
  EXPECT_GE(processor.value("step_errors", 0), 3) << processor.dump();
  EXPECT_NE(processor.value("status", ""), "stalled");
  EXPECT_NE(server_->log().find("drain step failed"), std::string::npos);
}

// Peak resident memory of a process in MiB (VmHWM), or -1.
long peak_rss_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

TEST_F(DrainFaultsTest, ABacklogOfLargeBulkWritesDrainsWithinTheStatementTimeout) {
  if (!is_root()) GTEST_SKIP() << "stopping the main database needs root";
  constexpr int kWrites = 200, kFiles = 8000;
  // A batch of 500 such writes would be 1.6 million rows in one statement: far beyond a 2 s
  // statement timeout and jsonb's limits. The drain must cut batches by bytes and shrink them
  // after a timeout.
  ASSERT_NO_FATAL_FAILURE(start_server({{"DRAIN_BATCH_SIZE", "500"},
                                        {"MAIN_DB_STATEMENT_TIMEOUT", "2"},
                                        {"REDIS_COMMAND_TIMEOUT", "10"},
                                        {"HTTP_BODY_LIMIT", "4194304"}}));
  ASSERT_EQ(stop_main(), 0);
  const std::string observation = write_start()["id"];
  const std::string run = random_hex(8);
  std::string last_tx;
  for (int w = 0; w < kWrites; ++w) {
    json files = json::array();
    for (int f = 0; f < kFiles; ++f) {
      const auto name = "scan_" + std::to_string(w) + "_" + std::to_string(f) + ".fits";
      files.push_back({{"name", name},
                       {"relative_path", "bulk/" + run + "/" + name},
                       {"executed_obs_unit_id", observation},
                       {"instrument_module_id", 1},
                       {"size_bytes", 1024},
                       {"checksum", "sha256:0123456789abcdef"}});
    }
    auto r = http_json(port(), "POST", "/raw_data_files/bulk", files);
    ASSERT_EQ(r.status, 201) << "write " << w << ": " << r.body.substr(0, 300);
    last_tx = r.json()["transaction_id"];
  }
  const long rss_buffered = peak_rss_mib(server_->pid());
  ASSERT_EQ(start_main(), 0);
  db_ = std::make_unique<PgProbe>(main_);  // its connection went with the stopped server
  ASSERT_TRUE(wait_until([&] { return applied(last_tx); }, 600s, 500ms)) << health().dump();
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM raw_data_file WHERE executed_obs_unit_id = $1",
                        {observation}),
            static_cast<long long>(kWrites) * kFiles);
  EXPECT_EQ(failed_count(), 0);
  const long rss_peak = peak_rss_mib(server_->pid());
  std::cout << "[ figures ] peak RSS of the server: " << rss_buffered << " MiB after buffering, "
            << rss_peak << " MiB after draining " << kWrites << " writes of " << kFiles
            << " files\n";
  EXPECT_LT(rss_peak, 1024) << "memory per drain step must stay bounded";
}

TEST_F(DrainFaultsTest, TwoServersOnOneBufferApplyEachWriteOnceInOrder) {
  ASSERT_NO_FATAL_FAILURE(start_server({{"DRAIN_LEASE_TTL", "4"}}));
  auto env = secondary_env(site_);
  env["DRAIN_LEASE_TTL"] = "4";
  ServerProcess second(env);
  ASSERT_TRUE(second.running());

  std::vector<std::string> txs;
  for (int i = 0; i < 200; ++i) {
    const auto p = i % 2 == 0 ? port() : second.port();
    auto r = http_json(p, "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
    ASSERT_EQ(r.status, 201) << r.body;
    txs.push_back(r.json()["transaction_id"]);
    // Take the lease away now and then, as a holder that stalls past its lease would lose it.
    if (i % 50 == 25) redis_->del(prefix_ + "processor_lock");
  }
  ASSERT_TRUE(wait_until([&] { return applied(txs.back()); }, 60s)) << health().dump();
  for (const auto& tx : txs) {
    ASSERT_TRUE(wait_until([&] { return applied(tx); }, 10s)) << tx;
    auto status = tx_status(tx);
    EXPECT_EQ(status.value("attempts", -1), 0) << status.dump();
  }
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM buffered_transaction_log WHERE site = $1", {site_}),
            200)
      << "each write applied exactly once";
  EXPECT_EQ(ledger_order(txs), txs) << "applied out of order";
  EXPECT_EQ(failed_count(), 0);
  second.kill();
}

}  // namespace
}  // namespace opsdb::test
