// Idempotency-Key against the real stack: a retry of a keyed write is answered as the original
// and applied once — at a secondary site through the buffer (and, once the buffer forgot the
// key, through the ledger), at the main site through the ledger; the key reused for another
// request is refused with 422.
#include <gtest/gtest.h>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"
#include "support/wait.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

HttpResult post_keyed(std::uint16_t port, const std::string& key, const json& body,
                      const std::string& target = "/executed_obs_units/start") {
  return http_request(port, "POST", target, body.dump(),
                      {{"Content-Type", "application/json"}, {"Idempotency-Key", key}});
}

long long observations_with_id(const std::string& id) {
  return PgProbe(stack_config().main_db)
      .scalar("SELECT count(*) FROM executed_obs_unit WHERE id = $1::uuid", {id});
}

bool replayed(const HttpResult& r) {
  auto it = r.headers.find("idempotent-replayed");
  return it != r.headers.end() && it->second == "true";
}

using IdempotencyTest = SecondarySiteFixture;

TEST_F(IdempotencyTest, ARetryAtASecondarySiteIsAnsweredAsTheFirstAndAppliedOnce) {
  start_server();
  const auto key = "start-" + site_;
  const json body = {{"obs_unit_id", 1}, {"conditions", {{"pwv_mm", 0.4}}}};
  auto first = post_keyed(port(), key, body);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_FALSE(replayed(first));
  auto retry = post_keyed(port(), key, body);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_TRUE(replayed(retry));
  EXPECT_EQ(retry.json()["id"], first.json()["id"]);
  EXPECT_EQ(retry.json()["transaction_id"], first.json()["transaction_id"]);

  auto reused = post_keyed(port(), key, {{"obs_unit_id", 2}});
  EXPECT_EQ(reused.status, 422) << reused.body;
  EXPECT_NE(reused.body.find("Idempotency-Key"), std::string::npos) << reused.body;

  const std::string tx = first.json()["transaction_id"];
  const std::string id = first.json()["id"];
  wait_replicated(tx);
  EXPECT_EQ(observations_with_id(id), 1);
  EXPECT_EQ(http_get(port(), "/api/transfer/overview").status, 200);

  // The buffer forgets the key (its horizon passed): the retry is buffered again, with the same
  // transaction id, and the ledger applies it once.
  EXPECT_EQ(redis_->command({"DEL", prefix_ + "idempotency:" + tx}).integer, 1);
  auto late = post_keyed(port(), key, body);
  ASSERT_EQ(late.status, 201) << late.body;
  EXPECT_EQ(late.json()["id"], id);
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = http_get(port(), "/buffer-stats");
        return r.status == 200 && r.json().value("pending_transactions", 1) == 0;
      },
      60s));
  EXPECT_EQ(observations_with_id(id), 1);
  EXPECT_EQ(PgProbe(stack_config().main_db)
                .scalar("SELECT count(*) FROM buffered_transaction_log WHERE transaction_id = "
                        "$1::uuid",
                        {tx}),
            1);
}

// Redis holds the reply past the server's deadline (CLIENT PAUSE) and there is no journal to
// fall back on: the write was sent, so the answer is 503 outcome_unknown naming the transaction,
// never "not accepted"; the transaction's status then tells the truth, and the retry with the
// key leaves exactly one observation.
TEST_F(IdempotencyTest, AWriteRedisDidNotConfirmIsOutcomeUnknownAndSafeToRetryFault) {
  start_server({{"REDIS_COMMAND_TIMEOUT", "0.2"}, {"JOURNAL_MAX_BYTES", "0"}});
  const auto key = "paused-" + site_;
  const json body = {{"obs_unit_id", 1}};
  redis_->command({"CLIENT", "PAUSE", "1500", "WRITE"});
  auto unsure = post_keyed(port(), key, body);
  ASSERT_EQ(unsure.status, 503) << unsure.body;
  EXPECT_EQ(unsure.json()["error"]["code"], "outcome_unknown") << unsure.body;
  ASSERT_TRUE(unsure.json()["transaction_id"].is_string()) << unsure.body;
  const std::string tx = unsure.json()["transaction_id"];

  // Once Redis answers again, the retry with the key is taken (or answered as taken) once.
  json taken;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = post_keyed(port(), key, body);
        if (r.status == 201) taken = r.json();
        return r.status == 201;
      },
      15s, 200ms));
  EXPECT_EQ(taken["transaction_id"], tx);
  wait_replicated(tx);
  EXPECT_EQ(observations_with_id(taken["id"]), 1);
}

TEST_F(IdempotencyTest, ABadKeyIsRefusedAndNothingBuffered) {
  start_server();
  auto r = post_keyed(port(), std::string(300, 'k'), {{"obs_unit_id", 1}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(redis_->command({"LLEN", prefix_ + "transaction_buffer"}).integer, 0);
}

TEST(IdempotencyMainSiteTest, ARetryAtTheMainSiteIsAnsweredAsTheFirstAndAppliedOnce) {
  prepare_database();
  ServerProcess server(std::map<std::string, std::string>{{"SITE_TYPE", "main"}});
  const auto key = "main-" + random_hex(12);
  const json body = {{"obs_unit_id", 1}};
  auto first = post_keyed(server.port(), key, body);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.json()["status"], "applied");
  EXPECT_FALSE(replayed(first));
  auto retry = post_keyed(server.port(), key, body);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_TRUE(replayed(retry));
  EXPECT_EQ(retry.json()["id"], first.json()["id"]);
  EXPECT_EQ(observations_with_id(first.json()["id"]), 1);
  auto reused = post_keyed(server.port(), key, {{"obs_unit_id", 2}});
  EXPECT_EQ(reused.status, 422) << reused.body;
  EXPECT_EQ(observations_with_id(first.json()["id"]), 1);
}

}  // namespace
}  // namespace opsdb::test
