// The 503s of a write tell the client what happened to it: `not_accepted` when nothing reached
// the buffer or the database, `outcome_unknown` (with the transaction id to ask about) when the
// write was sent and no confirmation came.
#include <gtest/gtest.h>

#include "opsdb/api/error_mapping.hpp"
#include "support/api_fakes.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

TEST(WriteOutcomeTest, TheBufferSaysWhetherAFailedWriteMayHaveBeenTaken) {
  const auto refused = to_api_error(Error{Fault::unavailable, "disconnected", ""},
                                    Dependency::buffer_write);
  EXPECT_EQ(http_status(refused.kind()), 503);
  EXPECT_EQ(refused.code(), "not_accepted");
  const auto unknown = to_api_error(Error{Fault::outcome_unknown, "timeout", ""},
                                    Dependency::buffer_write);
  EXPECT_EQ(http_status(unknown.kind()), 503);
  EXPECT_EQ(unknown.code(), "outcome_unknown");
  EXPECT_NE(std::string(unknown.what()).find("Idempotency-Key"), std::string::npos);
  // A read of the buffer makes no claim about writes.
  const auto read = to_api_error(Error{Fault::outcome_unknown, "timeout", ""}, Dependency::buffer);
  EXPECT_EQ(read.code(), "unavailable");
  EXPECT_EQ(std::string(read.what()).find("write"), std::string::npos) << read.what();
}

TEST(WriteOutcomeTest, ALostCommitAtTheMainSiteIsOutcomeUnknown) {
  const auto lost = to_api_error(Error{Fault::outcome_unknown, "connection lost during COMMIT", ""},
                                 Dependency::database);
  EXPECT_EQ(http_status(lost.kind()), 503);
  EXPECT_EQ(lost.code(), "outcome_unknown");
  const auto down = to_api_error(Error{Fault::unavailable, "refused", ""}, Dependency::database);
  EXPECT_EQ(down.code(), "unavailable");
}

// A sink whose write was sent but never confirmed.
class UnconfirmedSink final : public WriteSink {
 public:
  void submit(BuiltWrite, std::function<void(WriteResult)> done) override {
    done(WriteResult{to_api_error(Error{Fault::outcome_unknown, "timeout", ""},
                                  Dependency::buffer_write),
                     ""});
  }
};

TEST(WriteOutcomeTest, AnUnknownOutcomeNamesTheTransactionToAskAbout) {
  Config config;
  ManualClock clock;
  TransactionBuilder builder("observatory", clock);
  UnconfirmedSink sink;
  test::EmptyReads store;
  SmartQuery reads(store, nullptr);
  test::AllIdsExist ids;
  ReferenceCheck references(ids);
  test::ReachableProbe probe;
  SiteMonitor monitor(SiteSources{probe}, AlertOptions{}, clock);
  PrometheusMetrics metrics({"test", "observatory", "main", {}});
  ApiServices services{config, builder, sink, reads, monitor, references, metrics};
  test::InMemoryCredentials credentials;
  const auto token = credentials.add_token("recorder", {Role::observer});
  services.authenticator =
      std::make_shared<auth::CredentialVerifier>(credentials, clock, auth::VerifierOptions{});
  auto router = make_router(services);

  http::Request request{"POST", "/executed_obs_units/start", "/executed_obs_units/start", {}, {},
                        R"({"obs_unit_id": 1})"};
  request.headers["content-type"] = "application/json";
  request.headers["authorization"] = "Bearer " + token;
  std::optional<http::Response> answer;
  router->dispatch(request, http::RequestContext{"t", "192.0.2.1"},
                   [&](http::Response r) { answer = std::move(r); });
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 503);
  const auto body = json::parse(answer->body);
  EXPECT_EQ(body["error"]["code"], "outcome_unknown");
  ASSERT_TRUE(body["transaction_id"].is_string()) << answer->body;
  EXPECT_EQ(body["transaction_id"].get<std::string>().size(), 36u);
}

}  // namespace
}  // namespace opsdb
