// Who may use the API, checked from outside against a running server: tokens made with the
// command line on the main database, verified at a secondary site from its replica, revoked,
// expired, forged; and verification going on while Cologne is unreachable.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "opsdb/auth/jwt.hpp"
#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "integration-test-secret-of-at-least-32-bytes";

struct CommandOutput {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs the ops-db-api binary with `arguments` in the test's environment (the stack's
// addresses); its stdout and stderr apart.
CommandOutput run_cli(const std::string& arguments) {
  const std::string err_path = ::testing::TempDir() + "/ops-db-api-cli.err";
  const std::string command = server_binary() + " " + arguments + " 2>" + err_path;
  CommandOutput output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  std::array<char, 4096> chunk{};
  while (auto n = std::fread(chunk.data(), 1, chunk.size(), pipe))
    output.out.append(chunk.data(), n);
  const int status = ::pclose(pipe);
  output.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  output.err.assign(std::istreambuf_iterator<char>(err), {});
  return output;
}

// A token made with `token create`; fails the test when the command does not print exactly one.
std::string create_token(const std::string& user, const std::string& role) {
  auto created = run_cli("token create --user " + user + " --role " + role + " --name auth-test");
  EXPECT_EQ(created.status, 0) << created.err;
  std::string token = created.out;
  if (!token.empty() && token.back() == '\n') token.pop_back();
  EXPECT_TRUE(std::regex_match(token, std::regex("ops_api_token_[0-9a-f]{64}")))
      << "stdout: " << created.out;
  return token;
}

std::map<std::string, std::string> bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}

HttpResult me(std::uint16_t port, const std::string& credential) {
  return http_request(port, "GET", "/auth/me", {}, bearer(credential));
}

HttpResult start_observation(std::uint16_t port, const std::string& credential) {
  auto headers = bearer(credential);
  headers["Content-Type"] = "application/json";
  return http_request(port, "POST", "/executed_obs_units/start", R"({"obs_unit_id": 1})", headers);
}

std::string unique_user(const char* what) {
  return std::string("auth-") + what + "-" + random_hex(8);
}

class AuthTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    SecondarySiteFixture::SetUp();
    ASSERT_NO_FATAL_FAILURE(start_server({{"AUTH_CACHE_TTL", "2"}, {"SECRET_KEY", kSecret}}));
  }

  void TearDown() override {
    // Whatever the test did, no credential it used may be in the server's log.
    if (server_) {
      const auto log = server_->log();
      for (const auto& credential : used_) {
        EXPECT_EQ(log.find(credential), std::string::npos) << "a credential is in the log";
      }
    }
    SecondarySiteFixture::TearDown();
  }

  // A token made on the main database, once the replica (what this site verifies from) has it.
  std::string replicated_token(const std::string& user, const std::string& role) {
    auto token = create_token(user, role);
    used_.push_back(token);
    EXPECT_TRUE(wait_until([&] { return me(port(), token).status == 200; }, 10s, 50ms))
        << "a token made on the main database never worked here";
    return token;
  }

  std::string jwt(const json& claims, const std::string& key = kSecret) {
    auto token = auth::sign_hs256(claims, key);
    used_.push_back(token);
    return token;
  }

  std::vector<std::string> used_;
};

TEST_F(AuthTest, TheCommandLinePrintsATokenOnceAndListingNeverShowsIt) {
  const auto user = unique_user("cli");
  auto created = run_cli("token create --user " + user + " --role viewer --expires 7");
  ASSERT_EQ(created.status, 0) << created.err;
  ASSERT_TRUE(std::regex_match(created.out, std::regex("ops_api_token_[0-9a-f]{64}\n")))
      << "stdout must hold the token and nothing else: " << created.out;
  const std::string token = created.out.substr(0, created.out.size() - 1);
  used_.push_back(token);
  EXPECT_EQ(created.err.find(token), std::string::npos) << created.err;
  const std::string prefix = token.substr(14, 12);
  EXPECT_NE(created.err.find(prefix), std::string::npos) << "stderr names the prefix";

  auto listed = run_cli("token list --user " + user);
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find(prefix), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(token), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(token.substr(14)), std::string::npos) << "no secret part";

  // Bad invocations say what is wrong and change nothing.
  auto unknown_role = run_cli("token create --user " + user + " --role root");
  EXPECT_EQ(unknown_role.status, 2) << unknown_role.err;
  EXPECT_NE(unknown_role.err.find("--role"), std::string::npos) << unknown_role.err;
  auto missing_user = run_cli("token create --role viewer");
  EXPECT_EQ(missing_user.status, 2);
  EXPECT_NE(missing_user.err.find("--user"), std::string::npos) << missing_user.err;
  EXPECT_TRUE(missing_user.out.empty()) << missing_user.out;
}

TEST_F(AuthTest, ATokenMadeOnTheMainDatabaseWorksHereOnceReplicated) {
  const auto user = unique_user("observer");
  const auto token = replicated_token(user, "observer");
  auto who = me(port(), token).json();
  EXPECT_EQ(who["user"], user);
  EXPECT_EQ(who["roles"], json::array({"observer"}));
  EXPECT_EQ(who["auth_method"], "api_token");
  EXPECT_EQ(who["token_prefix"], token.substr(14, 12));
  EXPECT_EQ(start_observation(port(), token).status, 201);
}

TEST_F(AuthTest, BadCredentialsAre401WithABearerChallengeAndMissingRolesAre403) {
  const auto viewer = replicated_token(unique_user("viewer"), "viewer");
  const auto expired = replicated_token(unique_user("expired"), "observer");
  const auto revoked = replicated_token(unique_user("revoked"), "observer");
  PgProbe main(stack_config().main_db);
  main.exec("UPDATE api_token SET expires_at = now() - interval '1 minute' WHERE prefix = $1",
            {expired.substr(14, 12)});
  ASSERT_EQ(run_cli("token revoke " + revoked.substr(14, 12)).status, 0);
  const std::string unknown = "ops_api_token_" + random_hex(64);
  used_.push_back(unknown);

  auto missing = http_request(port(), "POST", "/executed_obs_units/start", R"({"obs_unit_id": 1})",
                              {{"Authorization", ""}});
  EXPECT_EQ(missing.status, 401) << missing.body;
  EXPECT_EQ(missing.headers["www-authenticate"], "Bearer realm=\"ops-db-api\"");

  for (const auto& [name, credential] : std::vector<std::pair<std::string, std::string>>{
           {"junk", "junk"}, {"unknown", unknown}, {"expired", expired}, {"revoked", revoked}}) {
    EXPECT_TRUE(
        wait_until([&] { return start_observation(port(), credential).status == 401; }, 10s, 50ms))
        << name;
    auto refused = start_observation(port(), credential);
    EXPECT_EQ(refused.status, 401) << name << ": " << refused.body;
    EXPECT_NE(refused.headers["www-authenticate"].find("error=\"invalid_token\""),
              std::string::npos)
        << name << ": " << refused.headers["www-authenticate"];
    EXPECT_EQ(refused.json()["error"]["code"], "unauthorized") << name;
  }
  auto basic =
      http_request(port(), "GET", "/auth/me", {}, {{"Authorization", "Basic Zm9vOmJhcg=="}});
  EXPECT_EQ(basic.status, 401);
  EXPECT_NE(basic.headers["www-authenticate"].find("invalid_request"), std::string::npos);

  auto forbidden = start_observation(port(), viewer);
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  EXPECT_NE(forbidden.headers["www-authenticate"].find("insufficient_scope"), std::string::npos);
  EXPECT_EQ(http_request(port(), "GET", "/admin/failed-transactions", {}, bearer(viewer)).status,
            403);
  // What stays open.
  for (const char* path : {"/health", "/buffer-stats", "/metrics"}) {
    EXPECT_EQ(http_request(port(), "GET", path, {}, {{"Authorization", ""}}).status, 200) << path;
  }
}

TEST_F(AuthTest, JwtsSignedWithTheSecretKeyAreAcceptedAndForgedOnesAreNot) {
  const auto user = unique_user("jwt");
  replicated_token(user, "observer");  // makes the user, with the role
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto good = jwt({{"sub", user}, {"exp", now + 600}, {"iat", now}});
  auto who = me(port(), good);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(who.json()["auth_method"], "jwt");
  EXPECT_EQ(who.json()["user"], user);
  EXPECT_EQ(start_observation(port(), good).status, 201);

  // The good token's claims under another header and signature.
  auto forged = [&](const std::string& header, const json& claims, const std::string& signature) {
    const auto signed_token = auth::sign_hs256(claims, kSecret);
    const auto payload = signed_token.substr(signed_token.find('.') + 1,
                                             signed_token.rfind('.') - signed_token.find('.') - 1);
    auto token = header + "." + payload + "." + signature;
    used_.push_back(token);
    return token;
  };
  const json claims{{"sub", user}, {"exp", now + 600}};
  const std::vector<std::pair<std::string, std::string>> refused{
      // {"alg":"none","typ":"JWT"}
      {"alg none", forged("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", claims, "")},
      // {"alg":"HS512","typ":"JWT"} with an HS256 signature of other bytes
      {"HS512", forged("eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9", claims, "c2lnbmF0dXJl")},
      {"wrong key", jwt(claims, "another-secret-that-is-also-32-bytes-long!")},
      {"expired", jwt({{"sub", user}, {"exp", now - 3600}})},
      {"unknown user", jwt({{"sub", "nobody-" + random_hex(8)}, {"exp", now + 600}})},
  };
  for (const auto& [name, token] : refused) {
    auto r = me(port(), token);
    EXPECT_EQ(r.status, 401) << name << ": " << r.body;
  }
  // A tampered payload: another subject under the good token's signature.
  const auto other = jwt({{"sub", "admin"}, {"exp", now + 600}});
  const auto tampered = good.substr(0, good.find('.')) +
                        other.substr(other.find('.'), other.rfind('.') - other.find('.')) +
                        good.substr(good.rfind('.'));
  used_.push_back(tampered);
  EXPECT_EQ(me(port(), tampered).status, 401);
}

TEST_F(AuthTest, ARevokedTokenStopsWorkingWithinAMinuteWhileOthersKeepWorking) {
  const auto user = unique_user("revoke");
  const auto doomed = replicated_token(user, "observer");
  const auto kept = replicated_token(user, "observer");
  const auto revoked_at = std::chrono::steady_clock::now();
  auto revoke = run_cli("token revoke " + doomed.substr(14, 12));
  ASSERT_EQ(revoke.status, 0) << revoke.err;
  EXPECT_TRUE(wait_until([&] { return me(port(), doomed).status == 401; }, 60s, 100ms));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - revoked_at);
  EXPECT_LT(took, 60s);
  std::printf("revocation effective after %lld ms (AUTH_CACHE_TTL=2 s)\n",
              static_cast<long long>(took.count()));
  EXPECT_EQ(me(port(), kept).status, 200);
  EXPECT_EQ(start_observation(port(), kept).status, 201);
}

TEST_F(AuthTest, WithTheMainDatabaseStoppedAuthenticatedWritesAreStillAccepted) {
  const auto known = replicated_token(unique_user("offline"), "observer");
  // Made before the outage but never used here: verified from the replica during it.
  const auto unseen = create_token(unique_user("unseen"), "observer");
  used_.push_back(unseen);
  PgProbe replica(stack_config().local_db);
  ASSERT_TRUE(wait_until(
      [&] {
        return replica.scalar("SELECT count(*) FROM api_token WHERE prefix = $1",
                              {unseen.substr(14, 12)}) == 1;
      },
      10s));
  ASSERT_EQ(stop_main(), 0);
  EXPECT_EQ(start_observation(port(), known).status, 201);
  EXPECT_EQ(me(port(), known).status, 200);
  EXPECT_EQ(start_observation(port(), unseen).status, 201);
  // Managing tokens needs the main database: a clear 503, not a hang.
  auto create = http_request(
      port(), "POST", "/api/tokens", R"({"name": "during outage"})",
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + known}}, 20'000);
  EXPECT_EQ(create.status, 503) << create.body;
  EXPECT_NE(create.json()["error"]["message"].get<std::string>().find("main database"),
            std::string::npos)
      << create.body;
}

TEST_F(AuthTest, TokensMadeOverHttpAreShownOnceAndCanBeRevokedByTheirOwner) {
  const auto owner = replicated_token(unique_user("owner"), "observer");
  auto created = http_request(
      port(), "POST", "/api/tokens", R"({"name": "second laptop", "expires_in_days": 30})",
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + owner}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto token = created.json()["token"].get<std::string>();
  used_.push_back(token);
  EXPECT_EQ(created.json()["scopes"], json::array({"observer"}));
  EXPECT_TRUE(wait_until([&] { return me(port(), token).status == 200; }, 10s, 50ms));

  auto listed = http_request(port(), "GET", "/api/tokens", {}, bearer(owner));
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(token), std::string::npos);
  EXPECT_EQ(listed.body.find(token.substr(14)), std::string::npos);
  EXPECT_EQ(listed.json()["tokens"].size(), 2u) << listed.body;

  const auto prefix = token.substr(14, 12);
  auto revoked = http_request(port(), "DELETE", "/api/tokens/" + prefix, {}, bearer(owner));
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_TRUE(wait_until([&] { return me(port(), token).status == 401; }, 60s, 100ms));
  EXPECT_EQ(me(port(), owner).status, 200);
}

// At the main site the tokens are in the server's own database: one made over HTTP works at
// once, and the use of a token is recorded (in one statement per interval, never in the request).
TEST(AuthMainSiteTest, ATokenWorksAtOnceAndItsLastUseIsRecorded) {
  ServerProcess server({{"SITE_TYPE", "main"}, {"AUTH_LAST_USED_INTERVAL", "0.2"}});
  const auto owner = create_token(unique_user("main"), "service");
  PgProbe main(stack_config().main_db);
  const auto last_use = [&](const std::string& token) {
    return main.scalar(
        "SELECT count(*) FROM api_token WHERE prefix = $1 AND last_used_at IS NOT NULL",
        {token.substr(14, 12)});
  };
  EXPECT_EQ(last_use(owner), 0);
  ASSERT_EQ(me(server.port(), owner).status, 200);
  EXPECT_EQ(start_observation(server.port(), owner).status, 201);
  EXPECT_TRUE(wait_until([&] { return last_use(owner) == 1; }, 10s, 50ms))
      << "last_used_at was never written";

  auto created = http_request(
      server.port(), "POST", "/api/tokens", R"({"name": "made over http", "role": "viewer"})",
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + owner}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto token = created.json()["token"].get<std::string>();
  auto who = me(server.port(), token);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(who.json()["roles"], json::array({"viewer"}));
  EXPECT_EQ(start_observation(server.port(), token).status, 403);
  const auto log = server.log();
  EXPECT_EQ(log.find(owner), std::string::npos);
  EXPECT_EQ(log.find(token), std::string::npos);
}

}  // namespace
}  // namespace opsdb::test
