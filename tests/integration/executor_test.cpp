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

  DbResult<ApplyResult> apply(std::vector<Transaction> txs) {
    std::promise<DbResult<ApplyResult>> done;
    db_->apply(std::move(txs), [&](DbResult<ApplyResult> r) { done.set_value(std::move(r)); });
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
  ASSERT_TRUE(first.ok()) << first.error.message;
  ASSERT_EQ(first.value->outcomes.size(), 1u);
  EXPECT_EQ(first.value->outcomes[0].state, TxOutcome::State::applied);
  EXPECT_FALSE(first.value->lsn.empty());

  auto second = apply({w.tx});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value->outcomes[0].state, TxOutcome::State::skipped);
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
  ASSERT_TRUE(r.ok()) << r.error.message;
  ASSERT_EQ(r.value->outcomes.size(), 2u);
  EXPECT_EQ(r.value->outcomes[0].state, TxOutcome::State::applied);
  EXPECT_EQ(r.value->outcomes[1].state, TxOutcome::State::failed);
  EXPECT_EQ(r.value->outcomes[1].error.kind, DbError::Kind::data);
  EXPECT_EQ(r.value->outcomes[1].error.sqlstate, "23503");
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
  EXPECT_EQ(r.value->outcomes[0].state, TxOutcome::State::failed);
  EXPECT_EQ(count("executed_obs_unit", w.response["id"]), 0);
}

TEST_F(ExecutorTest, UpdateOfAMissingRowIsADataError) {
  auto w = builder_.finish_observation("00000000-0000-4000-8000-000000000001",
                                       {{"status", "completed"}});
  auto r = apply({w.tx});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value->outcomes[0].state, TxOutcome::State::failed);
  EXPECT_EQ(r.value->outcomes[0].error.sqlstate, "P0002");
}

TEST_F(ExecutorTest, UnreachableDatabaseIsAConnectivityError) {
  auto config = stack_config().main_db;
  config.port = 1;  // nothing listens there
  PgDatabase nowhere("nowhere", config, 1);
  std::promise<DbResult<ApplyResult>> done;
  nowhere.apply({builder_.start_observation({{"obs_unit_id", 1}}).tx},
                [&](DbResult<ApplyResult> r) { done.set_value(std::move(r)); });
  auto r = done.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.kind, DbError::Kind::connectivity);
}

}  // namespace
}  // namespace opsdb::test
