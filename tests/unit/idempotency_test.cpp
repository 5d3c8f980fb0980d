// Idempotency-Key: the ids of a keyed write derive from (site, key) alone, so a retry rebuilds
// the same transaction; the request hash tells a retry from another request with the key.
#include "opsdb/tx/idempotency.hpp"

#include <gtest/gtest.h>

#include <set>

#include "opsdb/core/error.hpp"
#include "opsdb/core/uuid.hpp"
#include "support/api_fakes.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

// Every id a transaction holds: its own, every row's, every update's target.
std::set<std::string> ids_of(const Transaction& tx) {
  std::set<std::string> ids{tx.id};
  for (const auto& step : tx.steps) {
    if (step.row.contains("id")) ids.insert(step.row["id"].get<std::string>());
    for (const auto& row : step.rows) ids.insert(row["id"].get<std::string>());
    if (!step.id.empty()) ids.insert(step.id);
  }
  return ids;
}

class IdempotencyTest : public ::testing::Test {
 protected:
  BuiltWrite keyed(BuiltWrite write, const std::string& key, const std::string& body = "{}") {
    make_idempotent(write, "observatory", key, request_hash("POST", "/x", body));
    return write;
  }
  BuiltWrite start() {
    return builder_.start_observation(
        {{"obs_unit_id", 1},
         {"instrument_module_configurations",
          json::array({{{"instrument_module_id", 1}, {"configuration", json::object()}}})}});
  }

  ManualClock clock_;
  TransactionBuilder builder_{"observatory", clock_};
};

TEST(NameUuidTest, IsTheVersion5UuidOfTheRfc) {
  // RFC 9562 (and 4122) example: the DNS namespace and "www.example.com".
  EXPECT_EQ(name_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  EXPECT_THROW(name_uuid("not a uuid", "x"), std::invalid_argument);
}

TEST_F(IdempotencyTest, ARetryRebuildsTheSameIdsEverywhere) {
  auto first = keyed(start(), "night-42/start");
  clock_.advance(std::chrono::seconds(90));  // a later retry: other times, other random ids
  auto retry = keyed(start(), "night-42/start");
  EXPECT_EQ(first.tx.id, retry.tx.id);
  EXPECT_EQ(ids_of(first.tx), ids_of(retry.tx));
  EXPECT_EQ(first.response, retry.response);
  EXPECT_EQ(first.request_hash, retry.request_hash);
  // The configuration still points at the observation it was built with.
  const auto observation = first.response["id"].get<std::string>();
  bool configuration_found = false;
  for (const auto& step : first.tx.steps) {
    if (step.table != "instrument_module_configuration") continue;
    configuration_found = true;
    for (const auto& row : step.rows.is_array() ? step.rows : json::array({step.row})) {
      EXPECT_EQ(row["executed_obs_unit_id"], observation);
    }
  }
  EXPECT_TRUE(configuration_found);
  // The request's hash goes with it, under the transaction's id.
  const auto& record = first.tx.steps.back();
  EXPECT_EQ(record.table, "idempotent_request");
  EXPECT_EQ(record.row["id"], first.tx.id);
  EXPECT_EQ(record.row["request_hash"], *first.request_hash);
  EXPECT_NO_THROW(check_against_registry(first.tx));

  auto other = keyed(start(), "night-42/finish");
  for (const auto& id : ids_of(other.tx)) EXPECT_FALSE(ids_of(first.tx).count(id)) << id;
  auto unkeyed = start();
  EXPECT_FALSE(unkeyed.request_hash);
}

TEST_F(IdempotencyTest, IdsTheClientNamedAreKept) {
  const std::string observation = "3f1c6a8e-2b7d-4c55-9e21-0d4b8a6f7c10";
  const std::string file = "8a2e4b6c-1d3f-4e57-8a9b-0c1d2e3f4a5b";
  auto write = keyed(builder_.create_package({{"name", "p"},
                                               {"executed_obs_unit_id", observation},
                                               {"instrument_module_id", 1},
                                               {"raw_data_file_ids", json::array({file})}}),
                     "package-1");
  const auto ids = ids_of(write.tx);
  EXPECT_TRUE(ids.count(file)) << "the attached file's id was replaced";
  EXPECT_EQ(write.tx.steps.front().row["executed_obs_unit_id"], observation);
}

TEST_F(IdempotencyTest, TheHashTellsRequestsApart) {
  EXPECT_EQ(request_hash("POST", "/a", "{}"), request_hash("POST", "/a", "{}"));
  EXPECT_NE(request_hash("POST", "/a", "{}"), request_hash("PUT", "/a", "{}"));
  EXPECT_NE(request_hash("POST", "/a", "{}"), request_hash("POST", "/b", "{}"));
  EXPECT_NE(request_hash("POST", "/a", "{}"), request_hash("POST", "/a", "{ }"));
  EXPECT_EQ(request_hash("POST", "/a", "{}").size(), 64u);
}

TEST(IdempotencyKeyTest, KeysAreVisibleAsciiOfBoundedLength) {
  EXPECT_NO_THROW(check_idempotency_key("a"));
  EXPECT_NO_THROW(check_idempotency_key(std::string(kMaxIdempotencyKey, 'k')));
  for (const std::string bad : {std::string(), std::string(kMaxIdempotencyKey + 1, 'k'),
                                std::string("two words"), std::string("tab\there"),
                                std::string("caf\xc3\xa9")}) {
    EXPECT_THROW(check_idempotency_key(bad), ApiError) << bad;
  }
}

TEST(IdempotencyRouteTest, TheWriteRouteDerivesIdsFromTheHeaderAndRefusesABadKey) {
  test::ApiHarness api;
  auto post = [&](const std::string& key) {
    http::Request r{"POST", "/executed_obs_units/start", "/executed_obs_units/start", {}, {},
                    R"({"obs_unit_id": 1})"};
    r.headers["content-type"] = "application/json";
    if (!key.empty()) r.headers["idempotency-key"] = key;
    return api.dispatch(r);
  };
  auto first = post("k-1");
  ASSERT_TRUE(first && first->status == 201) << (first ? first->body : "");
  ASSERT_TRUE(api.last_write() && api.last_write()->request_hash);
  auto again = post("k-1");
  ASSERT_TRUE(again && again->status == 201);
  EXPECT_EQ(json::parse(first->body)["id"], json::parse(again->body)["id"]);
  EXPECT_NE(json::parse(post("")->body)["id"], json::parse(first->body)["id"]);
  auto bad = post("with space");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

}  // namespace
}  // namespace opsdb
