// Bodies that once crashed the server or got a 500, sent to a real secondary-site server: each
// is a 400 naming the problem, nothing is buffered, and the server keeps serving.
#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/redis_probe.hpp"
#include "support/secondary_site.hpp"

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
};

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
