#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "opsdb/api/routes.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/core/uuid.hpp"
#include "support/api_fakes.hpp"
#include "support/stack.hpp"
#include "support/step_scheduler.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

// The route table over in-memory ports: only its contract is looked at, and write routes are
// driven as far as the write sink.
class RouteTableTest : public ::testing::Test {
 protected:
  std::shared_ptr<http::Router> router(bool secondary) {
    ApiServices services = fakes_.services();
    services.authenticator = verifier_;
    services.tokens = &tokens_;
    services.clock = &fakes_.clock;
    services.sources = &catalogs_;
    services.programs = &catalogs_;
    services.transfers = &transfers_;
    services.visibility = &visibility_;
    services.events = &events_;
    services.overview = &overview_;
    if (secondary) {
      services.buffer = &buffer_;
      services.dead_letters = &buffer_;
      services.processor = [] { return ProcessorSnapshot{}; };
    }
    services_ = std::make_unique<ApiServices>(services);
    return make_router(*services_);
  }

  test::SiteFakes fakes_;
  test::EmptyBuffer buffer_;
  test::InMemoryCredentials credentials_;
  test::InMemoryTokenRegistry tokens_{credentials_};
  test::EmptyCatalogs catalogs_;
  TransferView transfers_{catalogs_, fakes_.store, nullptr};
  VisibilityService visibility_{
      test::default_site(), catalogs_, test::inline_offload(), {}, fakes_.clock};
  std::shared_ptr<auth::CredentialVerifier> verifier_ = std::make_shared<auth::CredentialVerifier>(
      credentials_, fakes_.clock, auth::VerifierOptions{});
  std::string observer_token_ = credentials_.add_token("recorder", {Role::observer});
  EventHub events_{nullptr, 16};
  test::StepScheduler scheduler_{fakes_.clock};
  DocumentBroadcast overview_{
      [](Callback<DocumentBroadcast::Document>) {}, scheduler_, fakes_.clock, {}};
  std::unique_ptr<ApiServices> services_;
};

// One line per route, then one per body field and query parameter: what a reviewer of an API
// change reads.
std::string describe(const http::Router& router) {
  std::ostringstream out;
  for (const auto& r : router.routes()) {
    out << r.method << ' ' << r.pattern << ' ' << role_name(r.role) << ' ' << r.success_status
        << ' ' << r.response_shape << '\n';
    for (const auto& f : r.body_fields) {
      out << "  body" << (r.body_is_array ? "[] " : " ") << f.name << ' ' << f.type
          << (f.required ? " required" : "") << '\n';
    }
    for (const auto& q : r.query_params) {
      out << "  query " << q.name << ' ' << q.type << (q.required ? " required" : "") << '\n';
    }
  }
  return out.str();
}

// Compares with the committed list; OPSDB_UPDATE_GOLDEN=1 rewrites it instead.
void expect_golden(const std::string& actual, const std::string& name) {
  const auto path = test::source_dir() + "/tests/unit/golden/" + name;
  if (std::getenv("OPSDB_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream file(path);
  ASSERT_TRUE(file) << path << " is missing";
  std::stringstream expected;
  expected << file.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "the API contract changed: review it, then run with OPSDB_UPDATE_GOLDEN=1 to accept it";
}

TEST_F(RouteTableTest, MainSiteContractIsTheCommittedOne) {
  expect_golden(describe(*router(false)), "routes_main.txt");
}

TEST_F(RouteTableTest, SecondarySiteContractIsTheCommittedOne) {
  expect_golden(describe(*router(true)), "routes_secondary.txt");
}

// A valid body for each critical endpoint.
json valid_body(const std::string& pattern) {
  const auto uuid = new_uuid();
  const json file = {{"name", "a.fits"},
                     {"relative_path", "obs/a.fits"},
                     {"executed_obs_unit_id", uuid},
                     {"instrument_module_id", 1},
                     {"size_bytes", 10},
                     {"checksum", "sha256:00"}};
  if (pattern == "/executed_obs_units/start") return {{"obs_unit_id", 1}};
  if (pattern == "/executed_obs_units/{id}/finish") return {{"status", "completed"}};
  if (pattern == "/executed_obs_units/{id}/status") return {{"status", "failed"}};
  if (pattern == "/executed_obs_units/{id}/instrument_configurations") {
    return {{"instrument_module_id", 1}, {"configuration", json::object()}};
  }
  if (pattern == "/raw_data_files/") return file;
  if (pattern == "/raw_data_files/bulk") return json::array({file});
  if (pattern == "/raw_data_package/") {
    return {{"name", "p"}, {"executed_obs_unit_id", uuid}, {"instrument_module_id", 1}};
  }
  if (pattern == "/raw_data_package/{id}/finalize") return json::object();
  ADD_FAILURE() << "no sample body for " << pattern;
  return nullptr;
}

// The origin a transaction records is the route it came through, and a successful write is
// answered with the route's success status.
TEST_F(RouteTableTest, EveryWriteRecordsItsRouteAsOriginAndAnswersItsStatus) {
  auto table = router(false);
  int writes = 0;
  for (const auto& route : table->routes()) {
    if (route.role != Role::observer) continue;
    ++writes;
    http::Request request;
    request.method = route.method;
    request.path = route.pattern;
    if (auto at = request.path.find("{id}"); at != std::string::npos) {
      request.path.replace(at, 4, new_uuid());
    }
    request.body = valid_body(route.pattern).dump();
    request.headers["authorization"] = "Bearer " + observer_token_;
    fakes_.sink.last.reset();
    std::optional<http::Response> answer;
    table->dispatch(request, http::RequestContext{"test"}, [&](http::Response r) { answer = r; });
    const auto name = route.method + " " + route.pattern;
    ASSERT_TRUE(answer) << name;
    ASSERT_TRUE(fakes_.sink.last) << name << ": " << answer->body;
    EXPECT_EQ(fakes_.sink.last->tx.origin, name);
    EXPECT_EQ(answer->status, route.success_status) << name;
  }
  EXPECT_EQ(writes, 8);
}

}  // namespace
}  // namespace opsdb
