#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/auth/api_token.hpp"
#include "opsdb/core/caller.hpp"
#include "opsdb/core/uuid.hpp"
#include "support/api_fakes.hpp"

namespace opsdb {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Who sends the request: a token of one role, or nothing at all.
enum class Sender { admin, observer, service, viewer, nobody };

const char* sender_name(Sender sender) {
  switch (sender) {
    case Sender::admin:
      return "admin";
    case Sender::observer:
      return "observer";
    case Sender::service:
      return "service";
    case Sender::viewer:
      return "viewer";
    case Sender::nobody:
      return "no token";
  }
  return "?";
}

// One representative route per class of route.
enum class RouteClass { write, read, admin, tokens, open };

struct Probe {
  RouteClass route_class;
  std::string method;
  std::string path;
  std::string body{};
};

std::vector<Probe> probes() {
  return {
      {RouteClass::write, "POST", "/executed_obs_units/start", json{{"obs_unit_id", 1}}.dump()},
      {RouteClass::read, "GET", "/executed_obs_units/" + new_uuid()},
      {RouteClass::admin, "GET", "/admin/failed-transactions"},
      {RouteClass::tokens, "GET", "/api/tokens"},
      {RouteClass::open, "GET", "/health"},
      {RouteClass::open, "GET", "/buffer-stats"},
      {RouteClass::open, "GET", "/metrics"},
  };
}

// What the design lets each sender do: 0 when it is let through, else the refusal's status.
int expected_refusal(Sender sender, RouteClass route_class) {
  if (route_class == RouteClass::open) return 0;
  switch (sender) {
    case Sender::admin:
      return 0;
    case Sender::observer:
    case Sender::service:
      return route_class == RouteClass::admin ? 403 : 0;
    case Sender::viewer:
      return route_class == RouteClass::read || route_class == RouteClass::tokens ? 0 : 403;
    case Sender::nobody:
      return 401;
  }
  return -1;
}

http::Request make_request(const std::string& method, const std::string& path,
                           const std::string& body = "") {
  http::Request request;
  request.method = method;
  request.target = path;
  request.path = path;
  request.body = body;
  if (!body.empty()) request.headers["content-type"] = "application/json";
  return request;
}

// The request with these credentials; an empty value stands for no credentials at all (the
// harness adds its administrator's token only when there is no header).
http::Request as(http::Request request, const std::string& token) {
  request.headers["authorization"] = token.empty() ? "" : "Bearer " + token;
  return request;
}

std::optional<std::string> header_of(const http::Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kChallenge = R"(Bearer realm="ops-db-api")";

class AuthorizationTest : public ::testing::Test {
 protected:
  std::string token_of(Sender sender) {
    switch (sender) {
      case Sender::admin:
        return admin_;
      case Sender::observer:
        return observer_;
      case Sender::service:
        return service_;
      case Sender::viewer:
        return viewer_;
      case Sender::nobody:
        return "";
    }
    return "";
  }

  // Dispatches and expects exactly one answer.
  http::Response send(const http::Request& request) {
    auto answer = harness_.dispatch(request);
    EXPECT_TRUE(answer) << request.method << " " << request.path << " was not answered";
    return answer.value_or(http::Response{.status = -1, .body = "", .headers = {}});
  }

  test::ApiHarness harness_;
  std::string admin_ = harness_.credentials().add_token("root", {Role::admin});
  std::string observer_ = harness_.credentials().add_token("recorder", {Role::observer});
  std::string service_ = harness_.credentials().add_token("pipeline", {Role::service});
  std::string viewer_ = harness_.credentials().add_token("reader", {Role::viewer});
};

// ---- The role table through the whole route table ----

TEST_F(AuthorizationTest, EachRoleReachesExactlyTheRoutesItsRoleGrants) {
  for (Sender sender :
       {Sender::admin, Sender::observer, Sender::service, Sender::viewer, Sender::nobody}) {
    for (const auto& probe : probes()) {
      const auto name = std::string(sender_name(sender)) + ": " + probe.method + " " + probe.path;
      const auto response =
          send(as(make_request(probe.method, probe.path, probe.body), token_of(sender)));
      const int refusal = expected_refusal(sender, probe.route_class);
      const auto challenge = header_of(response, "WWW-Authenticate");
      if (refusal == 0) {
        EXPECT_NE(response.status, 401) << name << ": " << response.body;
        EXPECT_NE(response.status, 403) << name << ": " << response.body;
        EXPECT_FALSE(challenge) << name;
        if (probe.route_class == RouteClass::read) {
          EXPECT_EQ(response.status, 404) << name << ": nothing is stored, so nothing is found";
        } else if (probe.route_class == RouteClass::write) {
          EXPECT_EQ(response.status, 201) << name << ": " << response.body;
          EXPECT_TRUE(harness_.last_write()) << name;
        } else {
          EXPECT_EQ(response.status, 200) << name << ": " << response.body;
        }
        continue;
      }
      EXPECT_EQ(response.status, refusal) << name << ": " << response.body;
      EXPECT_FALSE(harness_.last_write()) << name << ": a refused request reached the sink";
      ASSERT_TRUE(challenge) << name << " has no WWW-Authenticate";
      EXPECT_TRUE(starts_with(*challenge, kChallenge)) << name << ": " << *challenge;
      if (refusal == 403) {
        EXPECT_TRUE(contains(*challenge, R"(error="insufficient_scope")")) << *challenge;
        EXPECT_EQ(json::parse(response.body)["error"]["code"], "forbidden") << name;
      } else {
        // RFC 6750 §3.1: no error code when the request carried no credentials.
        EXPECT_FALSE(contains(*challenge, "error=")) << name << ": " << *challenge;
        EXPECT_EQ(json::parse(response.body)["error"]["code"], "unauthorized") << name;
      }
    }
  }
}

TEST_F(AuthorizationTest, UnusableTokensAreRefused401WithInvalidToken) {
  auto& credentials = harness_.credentials();
  const auto expired = credentials.add_token("late", {Role::admin});
  credentials.change_token(
      expired, [&](auth::TokenRecord& t) { t.expires_at = harness_.clock().now() - 1s; });
  const auto revoked = credentials.add_token("gone", {Role::admin});
  credentials.change_token(revoked, [](auth::TokenRecord& t) { t.active = false; });
  const auto inactive_user = credentials.add_token("leaver", {Role::admin});
  credentials.change_user("leaver", [](auth::UserRecord& u) { u.active = false; });

  struct Case {
    std::string name;
    std::string authorization;
  };
  const std::vector<Case> cases{
      {"junk", "Bearer junk"},
      {"unknown", "Bearer " + auth::generate_api_token()},
      {"expired", "Bearer " + expired},
      {"revoked", "Bearer " + revoked},
      {"deactivated user", "Bearer " + inactive_user},
      {"JWT while no secret is configured",
       "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyb290IiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJl"},
  };
  for (const auto& c : cases) {
    for (const auto& probe : probes()) {
      if (probe.route_class == RouteClass::open) continue;
      auto request = make_request(probe.method, probe.path, probe.body);
      request.headers["authorization"] = c.authorization;
      const auto response = send(request);
      const auto name = c.name + ": " + probe.method + " " + probe.path;
      EXPECT_EQ(response.status, 401) << name << ": " << response.body;
      const auto challenge = header_of(response, "WWW-Authenticate");
      ASSERT_TRUE(challenge) << name;
      EXPECT_TRUE(starts_with(*challenge, kChallenge)) << *challenge;
      EXPECT_TRUE(contains(*challenge, R"(error="invalid_token")")) << name << ": " << *challenge;
      EXPECT_FALSE(harness_.last_write()) << name;
    }
  }
}

TEST_F(AuthorizationTest, NonBearerSchemeIsRefused401WithInvalidRequest) {
  auto request = make_request("GET", "/api/tokens");
  request.headers["authorization"] = "Basic cm9vdDpzZWNyZXQ=";
  const auto response = send(request);
  EXPECT_EQ(response.status, 401);
  const auto challenge = header_of(response, "WWW-Authenticate");
  ASSERT_TRUE(challenge);
  EXPECT_TRUE(contains(*challenge, R"(error="invalid_request")")) << *challenge;
}

TEST_F(AuthorizationTest, OpenRoutesIgnoreEvenUnusableCredentials) {
  for (const auto& probe : probes()) {
    if (probe.route_class != RouteClass::open) continue;
    auto request = make_request(probe.method, probe.path);
    request.headers["authorization"] = "Bearer junk";
    EXPECT_EQ(send(request).status, 200) << probe.path;
  }
}

// ---- Refusal comes before the body ----

TEST_F(AuthorizationTest, RefusalComesBeforeTheBodyIsRead) {
  const auto invalid = make_request("POST", "/executed_obs_units/start", "{not json");

  const auto forbidden = send(as(invalid, viewer_));
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  EXPECT_FALSE(harness_.last_write());

  const auto anonymous = send(as(invalid, ""));
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_FALSE(harness_.last_write());

  const auto junk = send(as(invalid, "junk"));
  EXPECT_EQ(junk.status, 401) << junk.body;
  EXPECT_FALSE(harness_.last_write());

  // The same body from someone allowed to write is read, and refused for what it is.
  const auto allowed = send(as(invalid, observer_));
  EXPECT_EQ(allowed.status, 400) << allowed.body;
  EXPECT_FALSE(harness_.last_write());
}

TEST_F(AuthorizationTest, RefusedValidWriteNeverReachesTheSink) {
  const auto valid =
      make_request("POST", "/executed_obs_units/start", json{{"obs_unit_id", 1}}.dump());
  for (const auto& token : {viewer_, std::string(), std::string("junk")}) {
    const auto response = send(as(valid, token));
    EXPECT_TRUE(response.status == 401 || response.status == 403) << response.status;
    EXPECT_FALSE(harness_.last_write());
  }
  EXPECT_EQ(send(as(valid, service_)).status, 201);
  EXPECT_TRUE(harness_.last_write()) << "the service role writes";
}

// ---- Token management ----

json body_of(const http::Response& response) {
  return json::parse(response.body);
}

TEST_F(AuthorizationTest, ObserverIssuesATokenThatThenAuthenticatesAsItself) {
  const auto issued = send(as(make_request("POST", "/api/tokens", R"({"name":"ci"})"), observer_));
  ASSERT_EQ(issued.status, 201) << issued.body;
  const auto document = body_of(issued);
  ASSERT_TRUE(document.contains("token")) << issued.body;
  const auto token = document["token"].get<std::string>();
  EXPECT_TRUE(starts_with(token, "ops_api_token_")) << token;
  EXPECT_TRUE(auth::is_api_token(token));
  EXPECT_EQ(document["prefix"], auth::token_prefix(token));
  EXPECT_EQ(document["name"], "ci");
  EXPECT_EQ(document["user"], "recorder");
  EXPECT_EQ(document["scopes"], json::array({"observer"}))
      << "without a role the token carries the caller's strongest";
  EXPECT_EQ(document["is_active"], true);
  EXPECT_FALSE(contains(issued.body, auth::token_hash(token))) << "the hash is never shown";

  const auto me = send(as(make_request("GET", "/auth/me"), token));
  ASSERT_EQ(me.status, 200) << me.body;
  const auto who = body_of(me);
  EXPECT_EQ(who["user"], "recorder");
  EXPECT_EQ(who["roles"], json::array({"observer"}));
  EXPECT_EQ(who["auth_method"], "api_token");
  EXPECT_EQ(who["token_prefix"], auth::token_prefix(token));
  EXPECT_FALSE(contains(me.body, token)) << "/auth/me never echoes the token";

  // And it writes, as its observer scope allows.
  const auto write = send(as(
      make_request("POST", "/executed_obs_units/start", json{{"obs_unit_id", 1}}.dump()), token));
  EXPECT_EQ(write.status, 201) << write.body;
}

TEST_F(AuthorizationTest, TokenForALesserRoleCarriesOnlyThatRole) {
  const auto issued = send(
      as(make_request("POST", "/api/tokens", R"({"name":"dash","role":"viewer"})"), observer_));
  ASSERT_EQ(issued.status, 201) << issued.body;
  const auto token = body_of(issued)["token"].get<std::string>();
  EXPECT_EQ(send(as(make_request("GET", "/executed_obs_units/" + new_uuid()), token)).status, 404);
  const auto write = send(as(
      make_request("POST", "/executed_obs_units/start", json{{"obs_unit_id", 1}}.dump()), token));
  EXPECT_EQ(write.status, 403) << "a viewer token of an observer cannot write";
}

TEST_F(AuthorizationTest, TokenWithExpiryExpiresAfterItsDays) {
  const auto issued = send(
      as(make_request("POST", "/api/tokens", R"({"name":"short","expires_in_days":1})"), viewer_));
  ASSERT_EQ(issued.status, 201) << issued.body;
  EXPECT_FALSE(body_of(issued)["expires_at"].is_null());
  const auto token = body_of(issued)["token"].get<std::string>();
  EXPECT_EQ(send(as(make_request("GET", "/auth/me"), token)).status, 200);
  harness_.clock().advance(std::chrono::hours(24) + 1s);
  EXPECT_EQ(send(as(make_request("GET", "/auth/me"), token)).status, 401);
}

TEST_F(AuthorizationTest, NobodyIssuesATokenForARoleTheyDoNotHold) {
  for (const auto& [token, role] :
       std::vector<std::pair<std::string, std::string>>{{observer_, "admin"},
                                                        {viewer_, "observer"},
                                                        {viewer_, "service"},
                                                        {service_, "admin"}}) {
    const auto response = send(
        as(make_request("POST", "/api/tokens", json{{"name", "x"}, {"role", role}}.dump()), token));
    EXPECT_EQ(response.status, 403) << role << ": " << response.body;
    EXPECT_FALSE(contains(response.body, "ops_api_token_")) << response.body;
  }
  const auto granted =
      send(as(make_request("POST", "/api/tokens", R"({"name":"x","role":"observer"})"), admin_));
  EXPECT_EQ(granted.status, 201) << "an administrator grants any role: " << granted.body;
}

TEST_F(AuthorizationTest, MalformedTokenRequestsAreRefused400) {
  const std::vector<std::string> bodies{
      R"({})",
      R"({"role":"viewer"})",
      R"({"name":5})",
      R"({"name":"ci","colour":"blue"})",
      R"({"name":"ci","expires_in_days":0})",
      R"({"name":"ci","expires_in_days":-1})",
      R"({"name":"ci","expires_in_days":3651})",
      R"({"name":"ci","expires_in_days":"x"})",
      R"({"name":"ci","expires_in_days":1.5})",
      R"({"name":"ci","role":"open"})",
      R"({"name":"ci","role":"root"})",
      R"(["ci"])",
      R"(not json)",
  };
  for (const auto& body : bodies) {
    const auto response = send(as(make_request("POST", "/api/tokens", body), observer_));
    EXPECT_EQ(response.status, 400) << body << ": " << response.body;
  }
  const auto listed = body_of(send(as(make_request("GET", "/api/tokens"), observer_)));
  EXPECT_EQ(listed["tokens"].size(), 1u) << "no refused request made a token: " << listed;
}

// BUG (src/api/auth_routes.cpp, token_error -> src/api/error_mapping.cpp database_error): a
// name that issue_token refuses (control characters, over 100 bytes) comes back as
// Fault::rejected with no SQL state, which database_error turns into 422 "unprocessable" with
// details {"sqlstate": ""}, although nothing reached a database; every other bad field of the
// same body answers 400.
TEST_F(AuthorizationTest, TokenNameThatIssueTokenRefusesIsABadRequest) {
  for (const auto& name : {std::string("a\u0001b"), std::string(101, 'n')}) {
    const auto body = R"({"name":")" + name + R"("})";
    const auto response = send(as(make_request("POST", "/api/tokens", body), observer_));
    EXPECT_EQ(response.status, 400) << body << ": " << response.body;
    EXPECT_FALSE(contains(response.body, "sqlstate")) << response.body;
    EXPECT_FALSE(contains(response.body, "ops_api_token_"));
  }
  const auto listed = body_of(send(as(make_request("GET", "/api/tokens"), observer_)));
  EXPECT_EQ(listed["tokens"].size(), 1u) << "no token was made: " << listed;
}

TEST_F(AuthorizationTest, TokenListingShowsOnlyTheCallersTokensAndNoSecrets) {
  const auto issued = send(as(make_request("POST", "/api/tokens", R"({"name":"ci"})"), observer_));
  ASSERT_EQ(issued.status, 201);
  const auto new_token = body_of(issued)["token"].get<std::string>();

  const auto response = send(as(make_request("GET", "/api/tokens"), observer_));
  ASSERT_EQ(response.status, 200) << response.body;
  const auto tokens = body_of(response)["tokens"];
  ASSERT_TRUE(tokens.is_array());
  EXPECT_EQ(tokens.size(), 2u) << response.body;
  for (const auto& t : tokens) {
    EXPECT_EQ(t["user"], "recorder") << t;
    EXPECT_FALSE(t.contains("token")) << t;
    EXPECT_FALSE(t.contains("token_hash")) << t;
    EXPECT_FALSE(t.contains("hash")) << t;
    EXPECT_TRUE(auth::is_token_prefix(t["prefix"].get<std::string>())) << t;
  }
  for (const auto& secret : {observer_, new_token}) {
    EXPECT_FALSE(contains(response.body, secret)) << "a token is listed";
    EXPECT_FALSE(contains(response.body, auth::token_hash(secret))) << "a hash is listed";
    EXPECT_FALSE(contains(response.body, secret.substr(auth::kApiTokenMarker.size() + 12)));
  }
}

TEST_F(AuthorizationTest, RevokedOwnTokenIsRefusedOnceTheVerifierReadsAgain) {
  const auto prefix = auth::token_prefix(viewer_);
  const auto own = send(as(make_request("GET", "/api/tokens"), viewer_));
  ASSERT_EQ(own.status, 200);

  const auto revoked = send(as(make_request("DELETE", "/api/tokens/" + prefix), viewer_));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(body_of(revoked)["prefix"], prefix);
  EXPECT_EQ(body_of(revoked)["is_active"], false);

  harness_.clock().advance(31s);  // past the default AUTH_CACHE_TTL of 30 s
  const auto after = send(as(make_request("GET", "/api/tokens"), viewer_));
  EXPECT_EQ(after.status, 401) << after.body;
  const auto challenge = header_of(after, "WWW-Authenticate");
  ASSERT_TRUE(challenge);
  EXPECT_TRUE(contains(*challenge, R"(error="invalid_token")")) << *challenge;
  EXPECT_EQ(send(as(make_request("GET", "/api/tokens"), observer_)).status, 200)
      << "other tokens keep working";
}

TEST_F(AuthorizationTest, RevokingWithAMalformedPrefixIsRefused400) {
  for (const std::string prefix :
       {"xyz", "ABCDEF012345", "0123456789abc", "0123456789a", "ops_api_token_"}) {
    const auto response = send(as(make_request("DELETE", "/api/tokens/" + prefix), viewer_));
    EXPECT_EQ(response.status, 400) << prefix << ": " << response.body;
  }
  const auto whole = send(as(make_request("DELETE", "/api/tokens/" + viewer_), viewer_));
  EXPECT_EQ(whole.status, 400) << "the whole token is not a prefix";
}

// BUG (src/api/auth_routes.cpp, token_error -> respond_error(..., Dependency::database) ->
// src/api/error_mapping.cpp database_error): the registry answers Fault::not_found for a prefix
// that names no token of the caller (PgTokenRegistry::revoke does too), but database_error maps
// every fault other than `rejected` to 503 "the database is unreachable". A non-administrator
// revoking someone else's token, or a prefix that does not exist, is told to retry later
// instead of getting 404.
TEST_F(AuthorizationTest, NonAdministratorCannotRevokeAnotherUsersToken) {
  const auto prefix = auth::token_prefix(observer_);
  const auto response = send(as(make_request("DELETE", "/api/tokens/" + prefix), viewer_));
  EXPECT_EQ(response.status, 404) << response.body;
  EXPECT_EQ(send(as(make_request("GET", "/api/tokens"), observer_)).status, 200)
      << "the other user's token still works";
}

TEST_F(AuthorizationTest, RevokingAnUnknownPrefixAnswers404) {  // same BUG as above
  const auto response = send(as(make_request("DELETE", "/api/tokens/0123456789ab"), admin_));
  EXPECT_EQ(response.status, 404) << response.body;
}

TEST_F(AuthorizationTest, AdministratorRevokesAnyUsersToken) {
  const auto prefix = auth::token_prefix(observer_);
  const auto response = send(as(make_request("DELETE", "/api/tokens/" + prefix), admin_));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(body_of(response)["user"], "recorder");
  harness_.clock().advance(31s);
  EXPECT_EQ(send(as(make_request("GET", "/api/tokens"), observer_)).status, 401);
}

TEST_F(AuthorizationTest, AuthMeAnswersWhoTheTokenBelongsTo) {
  for (Sender sender : {Sender::admin, Sender::observer, Sender::service, Sender::viewer}) {
    const auto response = send(as(make_request("GET", "/auth/me"), token_of(sender)));
    ASSERT_EQ(response.status, 200) << sender_name(sender);
    const auto me = body_of(response);
    EXPECT_EQ(me["roles"], json::array({sender_name(sender)}));
    EXPECT_EQ(me["auth_method"], "api_token");
    EXPECT_EQ(me["token_prefix"], auth::token_prefix(token_of(sender)));
    EXPECT_FALSE(me.contains("subject"));
  }
  EXPECT_EQ(send(as(make_request("GET", "/auth/me"), "")).status, 401);
}

}  // namespace
}  // namespace opsdb
