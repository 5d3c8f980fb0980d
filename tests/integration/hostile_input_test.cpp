// Bodies that once crashed the server or got a 500, sent to a real secondary-site server: each
// is a 400 naming the problem, nothing is buffered, and the server keeps serving.
#include <gtest/gtest.h>

#include "support/hostile_inputs.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/redis_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

class HostileInputTest : public SecondarySiteFixture {
 protected:
  void expect_refused(const std::string& target, const std::string& body) {
    auto r = http_request(port(), "POST", target, body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 400) << target << " " << body.substr(0, 200) << ": " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "bad_request") << r.body;
    EXPECT_EQ(http_get(port(), "/health").status, 200) << "the server stopped answering";
  }

  // Sends every class of bad body to every critical endpoint of a server started with
  // `kHostileLimits` as its configuration: each gets its 4xx naming the field.
  void send_every_bad_input(std::map<std::string, std::string> env = {}) {
    env.insert({{"HTTP_JSON_MAX_DEPTH", std::to_string(kHostileLimits.max_depth)},
                {"HTTP_JSON_MAX_STRING", std::to_string(kHostileLimits.max_string)},
                {"BULK_MAX_FILES", std::to_string(kHostileLimits.max_bulk_files)}});
    ASSERT_NO_FATAL_FAILURE(start_server(env));
    int cases = 0;
    for (const auto& endpoint : critical_endpoints()) {
      for (const auto& bad : bad_inputs()) {
        auto body = bad.body(endpoint);
        if (!body) continue;
        ++cases;
        const auto what = bad.name + " to " + endpoint.method + " " + endpoint.target;
        auto r = http_request(port(), endpoint.method, endpoint.target, *body,
                              {{"Content-Type", "application/json"}});
        EXPECT_EQ(r.status, bad.status) << what << ": " << r.body;
        auto doc = r.json();
        EXPECT_EQ(doc["error"]["code"], bad.code) << what << ": " << r.body;
        const auto message = doc["error"]["message"].get<std::string>();
        EXPECT_NE(message.find(bad.names(endpoint)), std::string::npos)
            << what << ": the message does not name " << bad.names(endpoint) << ": " << message;
      }
    }
    EXPECT_GE(cases, 8 * 11);
    EXPECT_EQ(http_get(port(), "/health").status, 200) << "the server stopped answering";
  }

  // No transaction of this test's site reached the main database.
  long long ledger_rows() {
    PgProbe db(stack_config().main_db);
    return db.scalar("SELECT count(*) FROM buffered_transaction_log WHERE site = $1", {site_});
  }
};

TEST_F(HostileInputTest,
       EveryBadInputToEveryEndpointIsRefusedAndNothingIsBufferedAtASecondarySite) {
  ASSERT_NO_FATAL_FAILURE(send_every_bad_input());
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), 0);
  EXPECT_TRUE(redis_->scan(prefix_ + "transaction:*").empty());
  EXPECT_TRUE(redis_->scan(prefix_ + "buffered:*").empty());
  EXPECT_TRUE(redis_->scan(prefix_ + "read_buffer:*").empty());
  EXPECT_EQ(ledger_rows(), 0);
}

TEST_F(HostileInputTest, EveryBadInputToEveryEndpointIsRefusedAndNothingIsWrittenAtTheMainSite) {
  ASSERT_NO_FATAL_FAILURE(send_every_bad_input({{"SITE_TYPE", "main"}}));
  EXPECT_EQ(ledger_rows(), 0);
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), 0);
}

// A path segment that decodes to bytes that are not UTF-8 used to be quoted in the error
// message, which then could not be serialised: the client got a 500.
TEST_F(HostileInputTest, APathThatIsNotUtf8IsABadRequestNotAServerError) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  for (const char* target : {"/executed_obs_units/%FF/finish", "/raw_data_files/%C0%AF",
                             "/executed_obs_units?status=%FF", "/no%FEroute"}) {
    auto r = http_request(port(), "PUT", target, "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "bad_request") << target;
  }
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), 0);
}

TEST_F(HostileInputTest, ANumberOutOfRangeIsABadRequestNotAServerError) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  expect_refused("/executed_obs_units/start", R"({"obs_unit_id": 1e999999})");
  expect_refused("/executed_obs_units/start", R"({"obs_unit_id": -1e999999})");
  expect_refused("/raw_data_files/bulk", R"([{"size_bytes": 1e999999}])");
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), 0);
}

TEST_F(HostileInputTest, DeepNestingIsABadRequestNotACrash) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  std::string body = R"({"obs_unit_id":)";
  body += std::string(100'000, '[') + std::string(100'000, ']') + "}";
  expect_refused("/executed_obs_units/start", body);
  EXPECT_TRUE(server_->running());
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), 0);
}

TEST_F(HostileInputTest, TextTheDatabaseCannotStoreIsRefusedBeforeBuffering) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  expect_refused("/executed_obs_units/start",
                 R"({"obs_unit_id": 1, "conditions": {"x": "a\u0000b"}})");
  expect_refused("/executed_obs_units/start", R"({"obs_unit_id": 4294967297})");
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), 0);
}

TEST_F(HostileInputTest, TheNestingLimitIsTheConfiguredOne) {
  ASSERT_NO_FATAL_FAILURE(start_server({{"HTTP_JSON_MAX_DEPTH", "3"}}));
  expect_refused("/executed_obs_units/start",
                 R"({"obs_unit_id": 1, "conditions": {"a": {"b": {"c": 1}}}})");
  auto r = http_request(port(), "POST", "/executed_obs_units/start",
                        R"({"obs_unit_id": 1, "conditions": {"a": {"b": 1}}})",
                        {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 201) << r.body;
}

}  // namespace
}  // namespace opsdb::test
