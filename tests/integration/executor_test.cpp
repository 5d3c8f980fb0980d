// The executor against the real main database: atomic, ledgered, idempotent, ordered.
#include <gtest/gtest.h>

#include <future>

#include "opsdb/core/clock.hpp"
#include "opsdb/postgres/pg_database.hpp"
#include "opsdb/tx/transaction_builder.hpp"
#include "support/pg_probe.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prepare_database();
    db_ = std::make_unique<PgDatabase>("main", stack_config().main_db, 1);
    probe_ = std::make_unique<PgProbe>(stack_config().main_db);
  }

  Result<ApplyResult> apply(std::vector<Transaction> txs) {
    std::promise<Result<ApplyResult>> done;
    db_->apply(std::move(txs), [&](Result<ApplyResult> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  long long count(const std::string& table, const std::string& id) {
    return probe_->scalar("SELECT count(*) FROM " + table + " WHERE id = $1", {id});
  }

  ManualClock clock_;
  TransactionBuilder builder_{"observatory", clock_};
  std::unique_ptr<PgDatabase> db_;
  std::unique_ptr<PgProbe> probe_;
};

TEST_F(ExecutorTest, ApplyingTheSameTransactionTwiceLeavesOneSetOfRows) {
  auto w = builder_.start_observation({{"obs_unit_id", 1}});
  const std::string id = w.response["id"];
  auto first = apply({w.tx});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->outcomes.size(), 1u);
  EXPECT_EQ(first->outcomes[0].state, TxOutcome::State::applied);
  EXPECT_GT(first->lsn, Lsn(0));

  auto second = apply({w.tx});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->outcomes[0].state, TxOutcome::State::skipped);
  EXPECT_EQ(count("executed_obs_unit", id), 1);
  EXPECT_EQ(probe_->scalar("SELECT count(*) FROM executed_obs_unit_status_change WHERE "
                           "executed_obs_unit_id = $1",
                           {id}),
            1);
  EXPECT_EQ(
      probe_->scalar("SELECT count(*) FROM buffered_transaction_log WHERE transaction_id = $1",
                     {w.tx.id}),
      1);
}

TEST_F(ExecutorTest, ABatchStopsAtTheFirstDataErrorAndKeepsWhatCameBefore) {
  auto a = builder_.start_observation({{"obs_unit_id", 1}});
  auto bad = builder_.start_observation({{"obs_unit_id", 999999}});
  auto c = builder_.start_observation({{"obs_unit_id", 1}});
  auto r = apply({a.tx, bad.tx, c.tx});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->outcomes.size(), 2u);
  EXPECT_EQ(r->outcomes[0].state, TxOutcome::State::applied);
  EXPECT_EQ(r->outcomes[1].state, TxOutcome::State::failed);
  EXPECT_EQ(r->outcomes[1].error.fault, Fault::rejected);
  EXPECT_EQ(r->outcomes[1].error.code, "23503");
  EXPECT_EQ(count("executed_obs_unit", a.response["id"]), 1);
  EXPECT_EQ(count("executed_obs_unit", bad.response["id"]), 0);
  EXPECT_EQ(count("executed_obs_unit", c.response["id"]), 0);
  EXPECT_EQ(
      probe_->scalar("SELECT count(*) FROM buffered_transaction_log WHERE transaction_id = $1",
                     {bad.tx.id}),
      0);
}

TEST_F(ExecutorTest, AFailedStepRollsBackTheWholeTransaction) {
  // The observation insert succeeds, the configuration insert fails: neither stays.
  auto w = builder_.start_observation(
      {{"obs_unit_id", 1},
       {"instrument_module_configurations",
        {{{"instrument_module_id", 777777}, {"configuration", nlohmann::json::object()}}}}});
  auto r = apply({w.tx});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcomes[0].state, TxOutcome::State::failed);
  EXPECT_EQ(count("executed_obs_unit", w.response["id"]), 0);
}

TEST_F(ExecutorTest, UpdateOfAMissingRowIsADataError) {
  auto w = builder_.finish_observation("00000000-0000-4000-8000-000000000001",
                                       {{"status", "completed"}});
  auto r = apply({w.tx});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcomes[0].state, TxOutcome::State::failed);
  EXPECT_EQ(r->outcomes[0].error.code, "P0002");
}

TEST_F(ExecutorTest, UnreachableDatabaseIsAConnectivityError) {
  auto config = stack_config().main_db;
  config.port = 1;  // nothing listens there
  PgDatabase nowhere("nowhere", config, 1);
  std::promise<Result<ApplyResult>> done;
  nowhere.apply({builder_.start_observation({{"obs_unit_id", 1}}).tx},
                [&](Result<ApplyResult> r) { done.set_value(std::move(r)); });
  auto r = done.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fault, Fault::unavailable);
}

}  // namespace
}  // namespace opsdb::test

namespace opsdb::test {
namespace {

// The database function guards its identifiers on its own, whatever the caller checked: a step
// naming a table or column outside the writable set is refused, never ignored or executed.
TEST(ApplyFunction, RefusesTablesAndColumnsOutsideTheWritableSet) {
  prepare_database();
  PgProbe db(stack_config().main_db);
  ManualClock clock;
  TransactionBuilder builder("observatory", clock);
  auto outcome_of = [&](const nlohmann::json& doc) {
    auto text = db.column("SELECT opsdb_apply_transactions($1::jsonb)::text",
                          {nlohmann::json::array({doc}).dump()});
    return nlohmann::json::parse(text.at(0)).at(0);
  };

  auto doc = builder.start_observation({{"obs_unit_id", 1}}).tx.to_json();
  auto foreign_table = doc;
  foreign_table["steps"][0]["table"] = "api_token";
  auto o = outcome_of(foreign_table);
  EXPECT_EQ(o["outcome"], "failed");
  EXPECT_EQ(o["sqlstate"], "42P01");

  auto extra_column = builder.start_observation({{"obs_unit_id", 1}}).tx.to_json();
  extra_column["steps"][0]["row"]["obs_unit_id\"; DROP TABLE obs_unit; --"] = 1;
  o = outcome_of(extra_column);
  EXPECT_EQ(o["outcome"], "failed");
  EXPECT_EQ(o["sqlstate"], "42703");

  auto frozen_column =
      builder.finish_observation(doc["steps"][0]["row"]["id"], {{"status", "completed"}})
          .tx.to_json();
  frozen_column["steps"][0]["set"]["obs_unit_id"] = 2;
  o = outcome_of(frozen_column);
  EXPECT_EQ(o["outcome"], "failed");
  EXPECT_EQ(o["sqlstate"], "42703");

  for (const auto& tx : {foreign_table, extra_column}) {
    EXPECT_EQ(db.scalar("SELECT count(*) FROM executed_obs_unit WHERE id = $1",
                        {tx["steps"][1]["row"]["executed_obs_unit_id"].get<std::string>()}),
              0);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM buffered_transaction_log WHERE transaction_id = $1",
                        {tx["id"].get<std::string>()}),
              0);
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM obs_unit WHERE id = 1"), 1);
}

// Columns left out of a row take their defaults; the values given are stored as given.
TEST(ApplyFunction, OmittedColumnsTakeTheirDefaults) {
  prepare_database();
  PgProbe db(stack_config().main_db);
  ManualClock clock;
  TransactionBuilder builder("observatory", clock);
  auto obs = builder.start_observation({{"obs_unit_id", 1}}).tx;
  const std::string obs_id = obs.steps[0].row["id"];
  auto pkg = builder.create_package({{"name", "defaults-" + obs_id.substr(0, 8)},
                                     {"executed_obs_unit_id", obs_id},
                                     {"instrument_module_id", 1}});
  // The builder always fills metadata and status; leave them out to exercise the defaults.
  pkg.tx.steps[0].row.erase("metadata");
  pkg.tx.steps[0].row.erase("status");
  auto batch = nlohmann::json::array({obs.to_json(), pkg.tx.to_json()});
  auto text = db.column("SELECT opsdb_apply_transactions($1::jsonb)::text", {batch.dump()});
  auto outcomes = nlohmann::json::parse(text.at(0));
  ASSERT_EQ(outcomes.size(), 2u) << outcomes.dump();
  EXPECT_EQ(outcomes[1]["outcome"], "applied") << outcomes.dump();
  EXPECT_EQ(db.column("SELECT status || '/' || state || '/' || metadata::text FROM "
                      "raw_data_package WHERE id = $1",
                      {pkg.response["id"].get<std::string>()}),
            std::vector<std::string>{"building/waiting/{}"});
  EXPECT_EQ(db.scalar("SELECT count(*) FROM executed_obs_unit WHERE id = $1 AND start_time = $2",
                      {obs_id, obs.steps[0].row["start_time"].get<std::string>()}),
            1);
}

}  // namespace
}  // namespace opsdb::test
