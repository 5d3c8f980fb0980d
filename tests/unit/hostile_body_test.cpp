// Bodies that PostgreSQL would refuse, or that would hurt the server itself, are refused with
// a 400 naming the problem before anything is built, buffered or executed.
#include <gtest/gtest.h>

#include "opsdb/core/clock.hpp"
#include "opsdb/core/error.hpp"
#include "opsdb/tx/transaction_builder.hpp"
#include "support/api_fakes.hpp"
#include "support/hostile_inputs.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

// The ApiError `f` throws; fails the test if it throws none.
template <typename F>
ApiError refusal(F f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "expected the body to be refused";
  return ApiError(ErrorKind::internal, "none");
}

std::string problems_of(const ApiError& e) {
  return e.details().is_object() ? e.details().value("problems", json::array()).dump() : "";
}

TEST(HostileBody, ANumberNoDoubleCanHoldIsABadRequest) {
  for (const char* body : {R"({"obs_unit_id": 1e999999})", R"({"obs_unit_id": -1e999999})",
                           R"({"obs_unit_id": 1, "conditions": {"t": 1e400}})"}) {
    auto e = refusal([&] { parse_body(body); });
    EXPECT_EQ(e.kind(), ErrorKind::bad_request) << body << ": " << e.what();
  }
}

TEST(HostileBody, DeepNestingIsRefusedWhileParsing) {
  std::string body = R"({"obs_unit_id":)";
  for (int i = 0; i < 100'000; ++i) body += '[';
  for (int i = 0; i < 100'000; ++i) body += ']';
  body += '}';
  auto e = refusal([&] { parse_body(body); });
  EXPECT_EQ(e.kind(), ErrorKind::bad_request);
  EXPECT_NE(std::string(e.what()).find("deeper than 64"), std::string::npos) << e.what();

  // At the limit it is still a document.
  std::string ok = "1";
  for (int i = 0; i < 63; ++i) ok = "[" + ok + "]";
  EXPECT_NO_THROW(parse_body(R"({"a":)" + ok + "}"));
  EXPECT_THROW(parse_body(R"({"a":[)" + ok + "]}"), ApiError);
  EXPECT_THROW(parse_body("[[[1]]]", {.max_depth = 2}), ApiError);
}

class HostileValues : public ::testing::Test {
 protected:
  ManualClock clock_;
  TransactionBuilder builder_{"observatory", clock_};
};

TEST_F(HostileValues, NulInsideAJsonObjectIsRefusedNamingTheField) {
  auto body = parse_body(R"({"obs_unit_id": 1, "conditions": {"x": "a\u0000b"}})");
  auto e = refusal([&] { builder_.start_observation(body); });
  EXPECT_EQ(e.kind(), ErrorKind::bad_request);
  EXPECT_NE(problems_of(e).find("conditions"), std::string::npos) << problems_of(e);
  EXPECT_NE(problems_of(e).find("NUL"), std::string::npos) << problems_of(e);

  auto key = parse_body(R"({"obs_unit_id": 1, "conditions": {"deep": [{"a\u0000": 1}]}})");
  EXPECT_EQ(refusal([&] { builder_.start_observation(key); }).kind(), ErrorKind::bad_request);
}

TEST_F(HostileValues, NulInTextIsRefusedNamingTheField) {
  auto body = parse_body(R"({"obs_unit_id": 1, "status": "running"})");
  body["status"] = std::string("run\0ning", 8);
  EXPECT_EQ(refusal([&] { builder_.start_observation(body); }).kind(), ErrorKind::bad_request);

  json file = {{"name", std::string("a\0.fits", 7)},
               {"relative_path", "x/a.fits"},
               {"executed_obs_unit_id", "6f1c1c9e-8d7a-4c55-9a55-0c8c0f5e7a11"},
               {"instrument_module_id", 1},
               {"size_bytes", 1},
               {"checksum", "c"}};
  auto e = refusal([&] { builder_.register_file(file); });
  EXPECT_NE(problems_of(e).find("\"name\""), std::string::npos) << problems_of(e);
}

TEST_F(HostileValues, IntegersBeyondTheColumnTypeAreRefused) {
  for (const char* body :
       {R"({"obs_unit_id": 2147483648})", R"({"obs_unit_id": -2147483649})",
        R"({"obs_unit_id": 18446744073709551615})", R"({"obs_unit_id": 9223372036854775808})"}) {
    auto e = refusal([&] { builder_.start_observation(parse_body(body)); });
    EXPECT_NE(problems_of(e).find("obs_unit_id"), std::string::npos) << body;
  }
  json file = {{"name", "a.fits"},
               {"relative_path", "x/a.fits"},
               {"executed_obs_unit_id", "6f1c1c9e-8d7a-4c55-9a55-0c8c0f5e7a11"},
               {"instrument_module_id", 1},
               {"size_bytes", 9223372036854775808ull},
               {"checksum", "c"}};
  auto e = refusal([&] { builder_.register_file(file); });
  EXPECT_NE(problems_of(e).find("out of range"), std::string::npos) << problems_of(e);
  file["size_bytes"] = 9223372036854775807ll;
  EXPECT_NO_THROW(builder_.register_file(file));
}

// Every class of bad body against every critical endpoint, through the route table.
TEST(HostileBodies, EveryBadInputClassIsRefusedByEveryCriticalEndpointNamingTheField) {
  using namespace test;
  ApiHarness api(kHostileLimits);
  int cases = 0;
  for (const auto& endpoint : critical_endpoints()) {
    http::Request request;
    request.method = endpoint.method;
    request.target = request.path = endpoint.target;
    request.body = endpoint.valid.dump();
    // The valid body passes, so each refusal below is the bad input's doing.
    auto accepted = api.dispatch(request);
    ASSERT_TRUE(accepted && accepted->status < 300)
        << endpoint.target << ": " << (accepted ? accepted->body : "no answer");

    for (const auto& bad : bad_inputs()) {
      auto body = bad.body(endpoint);
      if (!body) continue;
      ++cases;
      request.body = *body;
      const auto what = bad.name + " to " + endpoint.method + " " + endpoint.target;
      auto answer = api.dispatch(request);
      ASSERT_TRUE(answer) << what;
      EXPECT_EQ(answer->status, bad.status) << what << ": " << answer->body;
      auto doc = json::parse(answer->body);
      EXPECT_EQ(doc["error"]["code"], bad.code) << what;
      const auto message = doc["error"]["message"].get<std::string>();
      EXPECT_NE(message.find(bad.names(endpoint)), std::string::npos)
          << what << ": the message does not name " << bad.names(endpoint) << ": " << message;
      EXPECT_FALSE(api.last_write()) << what << ": the write went through";
    }
  }
  EXPECT_GE(cases, 8 * 11);
}

}  // namespace
}  // namespace opsdb
