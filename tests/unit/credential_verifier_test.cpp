#include "opsdb/auth/credential_verifier.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "opsdb/auth/api_token.hpp"
#include "opsdb/auth/failure_log.hpp"
#include "opsdb/auth/jwt.hpp"
#include "opsdb/core/caller.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/core/error.hpp"
#include "support/credentials.hpp"
#include "support/jws.hpp"
#include "support/log_capture.hpp"

namespace opsdb::auth {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::string_view kSecret = "credential-verifier-test-secret-32-bytes-or-more";
constexpr std::string_view kRemote = "198.51.100.7";

VerifierOptions options_with_secret(std::string secret = std::string(kSecret)) {
  VerifierOptions options;
  options.cache_ttl = 30s;
  options.negative_ttl = 5s;
  options.jwt_secret = std::move(secret);
  return options;
}

// A verifier over an in-memory store that answers at once, so `look_up` completes inside the
// call, and a clock that moves only when told to.
struct Bench {
  explicit Bench(VerifierOptions options = options_with_secret())
      : verifier(credentials, clock, std::move(options)) {}

  // What a request with this Authorization value gets: from memory when the verifier can tell,
  // otherwise from a look-up, as the router does it.
  Admission verify(const std::string& authorization, std::string_view remote = kRemote) {
    if (auto admission = verifier.check(authorization, remote)) return std::move(*admission);
    std::optional<Admission> answer;
    int answers = 0;
    verifier.look_up(authorization, std::string(remote), [&](Admission admission) {
      ++answers;
      answer = std::move(admission);
    });
    EXPECT_EQ(answers, 1) << "look_up must call done exactly once";
    return answer.value_or(Admission{ApiError(ErrorKind::internal, "look_up did not answer")});
  }

  // Runs a refresh to its end (the in-memory store answers at once).
  void refresh() {
    bool done = false;
    verifier.refresh([&] { done = true; });
    EXPECT_TRUE(done) << "refresh must call done";
  }

  test::InMemoryCredentials credentials;
  ManualClock clock;
  CredentialVerifier verifier;
};

std::string bearer(std::string_view credential) {
  return "Bearer " + std::string(credential);
}

std::optional<Caller> caller_of(const Admission& admission) {
  if (const auto* caller = std::get_if<Caller>(&admission)) return *caller;
  return std::nullopt;
}

std::optional<ApiError> error_of(const Admission& admission) {
  if (const auto* error = std::get_if<ApiError>(&admission)) return *error;
  return std::nullopt;
}

// The RFC 6750 error code the refusal carries, or "<absent>".
std::string auth_error_of(const ApiError& error) {
  const auto& details = error.details();
  if (!details.is_object() || !details.contains("auth_error")) return "<absent>";
  return details.at("auth_error").get<std::string>();
}

// A well-formed API token that the store has never heard of.
std::string unknown_token() {
  return generate_api_token();
}

// ---- JWTs, built by hand (support/jws.hpp) ----

using test::b64url;
using test::forge;

std::int64_t seconds_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

json claims_for(const std::string& subject, const ManualClock& clock,
                std::chrono::seconds lifetime = 3600s) {
  return {{"sub", subject}, {"exp", seconds_of(clock.now() + lifetime)}};
}

// ---- API tokens ----

TEST(CredentialVerifier, KnownTokenIsLookedUpOnceThenAdmittedFromMemory) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});

  EXPECT_FALSE(s.verifier.check(bearer(token), kRemote)) << "a token never seen must be looked up";
  EXPECT_EQ(s.credentials.calls, 0);

  std::optional<Admission> looked_up;
  s.verifier.look_up(bearer(token), std::string(kRemote),
                     [&](Admission a) { looked_up = std::move(a); });
  ASSERT_TRUE(looked_up);
  const auto caller = caller_of(*looked_up);
  ASSERT_TRUE(caller) << error_of(*looked_up)->what();
  EXPECT_EQ(caller->user, "recorder");
  EXPECT_EQ(caller->roles, std::vector<Role>{Role::observer});
  EXPECT_EQ(caller->method, "api_token");
  EXPECT_EQ(caller->token_prefix, token_prefix(token));
  EXPECT_EQ(s.credentials.calls, 1);

  const auto again = s.verifier.check(bearer(token), kRemote);
  ASSERT_TRUE(again) << "the second check must be answered from memory";
  const auto cached = caller_of(*again);
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->user, "recorder");
  EXPECT_EQ(cached->roles, std::vector<Role>{Role::observer});
  EXPECT_EQ(cached->token_prefix, token_prefix(token));
  EXPECT_EQ(s.credentials.calls, 1) << "no store call for a cached token";
}

TEST(CredentialVerifier, SchemeIsCaseInsensitiveAndSurroundingBlanksAreIgnored) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  EXPECT_TRUE(caller_of(s.verify("bearer " + token)));
  EXPECT_TRUE(caller_of(s.verify("  BEARER   " + token + " \t")));
}

TEST(CredentialVerifier, MissingOrUnusableCredentialsAreRefusedWithTheirRfc6750Code) {
  struct Case {
    std::string name;
    std::string authorization;
    std::string auth_error;
  };
  const std::vector<Case> cases{
      {"no header", "", "<absent>"},
      {"blank header", "   ", "<absent>"},
      {"basic scheme", "Basic xyz", "invalid_request"},
      {"bearer without credential", "Bearer", "invalid_request"},
      {"junk bearer", "Bearer junk", "invalid_token"},
      {"token with upper-case hex", "Bearer ops_api_token_" + std::string(64, 'A'),
       "invalid_token"},
      {"unknown well-formed token", bearer(unknown_token()), "invalid_token"},
  };
  for (const auto& c : cases) {
    Bench s;
    s.credentials.add_token("recorder", {Role::observer});
    const auto error = error_of(s.verify(c.authorization));
    ASSERT_TRUE(error) << c.name << " was admitted";
    EXPECT_EQ(error->kind(), ErrorKind::unauthorized) << c.name;
    EXPECT_EQ(auth_error_of(*error), c.auth_error) << c.name;
  }
}

TEST(CredentialVerifier, MissingOrMalformedHeaderIsRefusedWithoutAskingTheStore) {
  Bench s;
  for (const std::string authorization : {"", "Basic xyz", "Bearer junk"}) {
    const auto answer = s.verifier.check(authorization, kRemote);
    ASSERT_TRUE(answer) << "'" << authorization << "' needs no look-up";
    EXPECT_TRUE(error_of(*answer)) << authorization;
  }
  EXPECT_EQ(s.credentials.calls, 0);
}

TEST(CredentialVerifier, RevokedTokenIsRefusedOnceTheCacheTtlHasPassed) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  ASSERT_TRUE(caller_of(s.verify(bearer(token))));

  s.credentials.change_token(token, [](TokenRecord& t) { t.active = false; });
  EXPECT_TRUE(caller_of(s.verify(bearer(token)))) << "within the TTL the cached row still answers";

  s.clock.advance(31s);
  const auto error = error_of(s.verify(bearer(token)));
  ASSERT_TRUE(error) << "a revoked token must be refused after the TTL";
  EXPECT_EQ(error->kind(), ErrorKind::unauthorized);
  EXPECT_EQ(auth_error_of(*error), "invalid_token");
  EXPECT_NE(std::string(error->what()).find("revoked"), std::string::npos) << error->what();
}

TEST(CredentialVerifier, ExpiredTokenIsRefused) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  s.credentials.change_token(token, [&](TokenRecord& t) { t.expires_at = s.clock.now() - 1s; });
  const auto error = error_of(s.verify(bearer(token)));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::unauthorized);
  EXPECT_EQ(auth_error_of(*error), "invalid_token");
}

TEST(CredentialVerifier, TokenExpiringWhileCachedIsRefusedFromMemory) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  s.credentials.change_token(token, [&](TokenRecord& t) { t.expires_at = s.clock.now() + 10s; });
  ASSERT_TRUE(caller_of(s.verify(bearer(token))));

  s.clock.advance(10s);  // expired, still well within the cache TTL
  const auto answer = s.verifier.check(bearer(token), kRemote);
  ASSERT_TRUE(answer);
  const auto error = error_of(*answer);
  ASSERT_TRUE(error) << "the expiry is checked on every use, not only when the row is read";
  EXPECT_EQ(auth_error_of(*error), "invalid_token");
}

TEST(CredentialVerifier, TokenOfDeactivatedUserIsRefused) {
  Bench s;
  const auto token = s.credentials.add_token("leaver", {Role::observer});
  s.credentials.change_user("leaver", [](UserRecord& u) { u.active = false; });
  const auto error = error_of(s.verify(bearer(token)));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::unauthorized);
  EXPECT_EQ(auth_error_of(*error), "invalid_token");
}

TEST(CredentialVerifier, TokenWithTheSamePrefixButAnotherSecretIsRefused) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  auto forged = token;
  forged.back() = forged.back() == '0' ? '1' : '0';  // same prefix, different hash
  ASSERT_EQ(token_prefix(forged), token_prefix(token));
  const auto error = error_of(s.verify(bearer(forged)));
  ASSERT_TRUE(error);
  EXPECT_EQ(auth_error_of(*error), "invalid_token");
  EXPECT_TRUE(caller_of(s.verify(bearer(token)))) << "the real token keeps working";
}

// ---- JWTs ----

TEST(CredentialVerifier, JwtOfKnownActiveUserIsAdmittedWithTheUsersRoles) {
  Bench s;
  s.credentials.add_user("alice", {Role::viewer, Role::service});
  const auto jwt = sign_hs256(claims_for("alice", s.clock), kSecret);

  const auto caller = caller_of(s.verify(bearer(jwt)));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user, "alice");
  EXPECT_EQ(caller->roles, (std::vector<Role>{Role::viewer, Role::service}));
  EXPECT_EQ(caller->method, "jwt");
  EXPECT_EQ(caller->token_prefix, "");

  const int calls = s.credentials.calls;
  const auto again = s.verifier.check(bearer(jwt), kRemote);
  ASSERT_TRUE(again) << "the subject is cached like a token";
  EXPECT_TRUE(caller_of(*again));
  EXPECT_EQ(s.credentials.calls, calls);
}

TEST(CredentialVerifier, ForgedExpiredOrUnknownJwtsAreRefused) {
  Bench s;
  s.credentials.add_user("alice", {Role::admin});
  s.credentials.add_user("bob", {Role::admin});
  s.credentials.change_user("bob", [](UserRecord& u) { u.active = false; });
  const auto payload = claims_for("alice", s.clock).dump();
  const auto good = sign_hs256(claims_for("alice", s.clock), kSecret);
  const auto signature = good.substr(good.rfind('.'));
  const auto header = good.substr(0, good.find('.'));

  struct Case {
    std::string name;
    std::string jwt;
  };
  const std::vector<Case> cases{
      {"alg none", b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(payload) + "."},
      {"alg none with a signature",
       forge(R"({"alg":"none","typ":"JWT"})", payload, kSecret, EVP_sha256())},
      {"HS512 under the right key",
       forge(R"({"alg":"HS512","typ":"JWT"})", payload, kSecret, EVP_sha512())},
      {"wrong key",
       sign_hs256(claims_for("alice", s.clock), "another-secret-that-is-also-32-bytes-long")},
      {"tampered payload", header + "." + b64url(claims_for("root", s.clock).dump()) + signature},
      {"expired", sign_hs256(claims_for("alice", s.clock, -3600s), kSecret)},
      {"unknown subject", sign_hs256(claims_for("mallory", s.clock), kSecret)},
      {"deactivated subject", sign_hs256(claims_for("bob", s.clock), kSecret)},
  };
  for (const auto& c : cases) {
    const auto error = error_of(s.verify(bearer(c.jwt)));
    ASSERT_TRUE(error) << c.name << " was admitted";
    EXPECT_EQ(error->kind(), ErrorKind::unauthorized) << c.name;
    EXPECT_EQ(auth_error_of(*error), "invalid_token") << c.name;
  }
  EXPECT_TRUE(caller_of(s.verify(bearer(good)))) << "the genuine token keeps working";
}

TEST(CredentialVerifier, AnyJwtIsRefusedWhenNoSecretIsConfigured) {
  Bench s(options_with_secret(""));
  s.credentials.add_user("alice", {Role::admin});
  // Signed under a key the server might once have had: without a secret, nothing verifies.
  const auto jwt = sign_hs256(claims_for("alice", s.clock), kSecret);
  const auto error = error_of(s.verify(bearer(jwt)));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::unauthorized);
  EXPECT_EQ(auth_error_of(*error), "invalid_token");
  EXPECT_EQ(s.credentials.calls, 0) << "an unverifiable JWT must not reach the store";
}

// ---- Cache behaviour ----

TEST(CredentialVerifier, RefreshMakesRevocationEffectiveBeforeTheTtl) {
  Bench s;
  const auto revoked = s.credentials.add_token("recorder", {Role::observer});
  const auto kept = s.credentials.add_token("pipeline", {Role::service});
  ASSERT_TRUE(caller_of(s.verify(bearer(revoked))));
  ASSERT_TRUE(caller_of(s.verify(bearer(kept))));

  s.credentials.change_token(revoked, [](TokenRecord& t) { t.active = false; });
  s.refresh();

  const auto answer = s.verifier.check(bearer(revoked), kRemote);
  ASSERT_TRUE(answer) << "the refreshed row answers from memory";
  const auto error = error_of(*answer);
  ASSERT_TRUE(error) << "a revoked token must be refused right after a refresh";
  EXPECT_EQ(auth_error_of(*error), "invalid_token");

  const auto other = s.verifier.check(bearer(kept), kRemote);
  ASSERT_TRUE(other);
  const auto caller = caller_of(*other);
  ASSERT_TRUE(caller) << "other tokens keep working";
  EXPECT_EQ(caller->user, "pipeline");
}

TEST(CredentialVerifier, RefreshReadsEveryCachedCredentialInOneCallPerKind) {
  Bench s;
  s.credentials.add_user("alice", {Role::viewer});
  const auto a = s.credentials.add_token("recorder", {Role::observer});
  const auto b = s.credentials.add_token("pipeline", {Role::service});
  ASSERT_TRUE(caller_of(s.verify(bearer(a))));
  ASSERT_TRUE(caller_of(s.verify(bearer(b))));
  ASSERT_TRUE(caller_of(s.verify(bearer(sign_hs256(claims_for("alice", s.clock), kSecret)))));
  const int before = s.credentials.calls;
  s.refresh();
  EXPECT_EQ(s.credentials.calls, before + 2);
}

TEST(CredentialVerifier, RefreshKeepsCachedCredentialsFreshPastTheTtl) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  ASSERT_TRUE(caller_of(s.verify(bearer(token))));
  s.clock.advance(25s);
  s.refresh();
  s.clock.advance(25s);  // 50 s after the first read, 25 s after the refresh
  const auto answer = s.verifier.check(bearer(token), kRemote);
  ASSERT_TRUE(answer) << "a refreshed entry counts from the refresh";
  EXPECT_TRUE(caller_of(*answer));
}

TEST(CredentialVerifier, UnknownTokenIsRememberedForTheNegativeTtlThenLookedUpAgain) {
  Bench s;
  const auto token = unknown_token();
  ASSERT_TRUE(error_of(s.verify(bearer(token))));
  EXPECT_EQ(s.credentials.calls, 1);

  s.clock.advance(4s);
  const auto remembered = s.verifier.check(bearer(token), kRemote);
  ASSERT_TRUE(remembered) << "within negative_ttl the refusal comes from memory";
  const auto error = error_of(*remembered);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::unauthorized);
  EXPECT_EQ(auth_error_of(*error), "invalid_token");
  EXPECT_EQ(s.credentials.calls, 1);

  s.clock.advance(2s);  // 6 s: past the negative TTL of 5 s
  EXPECT_FALSE(s.verifier.check(bearer(token), kRemote));
  EXPECT_TRUE(error_of(s.verify(bearer(token))));
  EXPECT_EQ(s.credentials.calls, 2);
}

TEST(CredentialVerifier, TokenCreatedAfterARefusalWorksOnceTheNegativeTtlHasPassed) {
  Bench s;
  // The prefix of a token the store does not have yet (replication lag at a secondary site).
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  s.credentials.change_token(token, [](TokenRecord& t) { t.prefix = "000000000000"; });
  ASSERT_TRUE(error_of(s.verify(bearer(token))));
  s.credentials.change_token(token, [&](TokenRecord& t) { t.prefix = token_prefix(token); });
  s.clock.advance(6s);
  EXPECT_TRUE(caller_of(s.verify(bearer(token))));
}

TEST(CredentialVerifier, CachedTokenIsStillAdmittedWhileTheStoreIsUnreachable) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  ASSERT_TRUE(caller_of(s.verify(bearer(token))));

  s.credentials.unreachable = true;
  s.clock.advance(10min);  // long past the TTL
  EXPECT_FALSE(s.verifier.check(bearer(token), kRemote)) << "a stale entry is looked up again";
  const int before = s.credentials.calls;
  const auto caller = caller_of(s.verify(bearer(token)));
  ASSERT_TRUE(caller) << "the stale entry must be used when the store fails";
  EXPECT_EQ(caller->user, "recorder");
  EXPECT_EQ(caller->roles, std::vector<Role>{Role::observer});
  EXPECT_EQ(s.credentials.calls, before + 1) << "the store was asked first";
}

TEST(CredentialVerifier, TokenNeverSeenIsAnswered503WhileTheStoreIsUnreachable) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  s.credentials.unreachable = true;
  const auto error = error_of(s.verify(bearer(token)));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::unavailable);
  EXPECT_EQ(http_status(error->kind()), 503);

  s.credentials.unreachable = false;
  EXPECT_TRUE(caller_of(s.verify(bearer(token)))) << "the failure is not cached as a refusal";
}

TEST(CredentialVerifier, RefreshFailureKeepsTheCachedCredentials) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  ASSERT_TRUE(caller_of(s.verify(bearer(token))));
  s.credentials.unreachable = true;
  test::LogCapture log;
  s.refresh();
  const auto answer = s.verifier.check(bearer(token), kRemote);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(caller_of(*answer));
  EXPECT_EQ(log.count("not refreshed"), 1u);
}

TEST(CredentialVerifier, FloodOfUnknownTokensDoesNotEvictKnownOnes) {
  auto options = options_with_secret();
  options.max_entries = 3;
  Bench s(options);
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  ASSERT_TRUE(caller_of(s.verify(bearer(token))));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(error_of(s.verify(bearer(unknown_token()))));
  const int calls = s.credentials.calls;
  const auto answer = s.verifier.check(bearer(token), kRemote);
  ASSERT_TRUE(answer) << "the known token must still be cached";
  EXPECT_TRUE(caller_of(*answer));
  EXPECT_EQ(s.credentials.calls, calls);
}

TEST(CredentialVerifier, RefreshDropsCredentialsIdleForLong) {
  auto options = options_with_secret();
  options.cache_ttl = 120s;
  options.idle_drop = 60s;
  Bench s(options);
  const auto idle = s.credentials.add_token("recorder", {Role::observer});
  const auto busy = s.credentials.add_token("pipeline", {Role::service});
  ASSERT_TRUE(caller_of(s.verify(bearer(idle))));
  ASSERT_TRUE(caller_of(s.verify(bearer(busy))));
  s.clock.advance(40s);
  ASSERT_TRUE(caller_of(s.verify(bearer(busy))));
  s.clock.advance(21s);  // idle unused for 61 s, busy for 21 s
  s.refresh();
  EXPECT_FALSE(s.verifier.check(bearer(idle), kRemote)) << "dropped: looked up on next use";
  EXPECT_TRUE(s.verifier.check(bearer(busy), kRemote));
}

TEST(CredentialVerifier, NegativeTtlNeverExceedsTheCacheTtl) {
  auto options = options_with_secret();
  options.cache_ttl = 2s;
  options.negative_ttl = 60s;
  Bench s(options);
  const auto token = unknown_token();
  ASSERT_TRUE(error_of(s.verify(bearer(token))));
  s.clock.advance(2s);
  EXPECT_FALSE(s.verifier.check(bearer(token), kRemote));
}

TEST(CredentialVerifier, UnknownTokenStaysRefused401NotAnswered503WhileTheStoreIsUnreachable) {
  Bench s;
  const auto token = unknown_token();
  ASSERT_TRUE(error_of(s.verify(bearer(token))));
  s.credentials.unreachable = true;
  s.clock.advance(10s);
  const auto error = error_of(s.verify(bearer(token)));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::unauthorized) << "the stale refusal is used";
}

// ---- Scopes ----

TEST(CredentialVerifier, ScopedTokenCarriesOnlyItsScopesAndLosesThoseItsUserNoLongerHolds) {
  Bench s;
  const auto token = s.credentials.add_token("chief", {Role::admin}, {Role::observer});
  const auto caller = caller_of(s.verify(bearer(token)));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->roles, std::vector<Role>{Role::observer});
  EXPECT_TRUE(caller->may(Role::observer));
  EXPECT_FALSE(caller->may(Role::admin)) << "a scoped token does not carry its user's admin";

  s.credentials.change_user("chief", [](UserRecord& u) { u.roles = {Role::viewer}; });
  s.refresh();
  const auto answer = s.verifier.check(bearer(token), kRemote);
  ASSERT_TRUE(answer);
  const auto demoted = caller_of(*answer);
  ASSERT_TRUE(demoted);
  EXPECT_TRUE(demoted->roles.empty());
  EXPECT_FALSE(demoted->may(Role::viewer))
      << "a token is never worth more than its user: the scope observer is not granted by viewer";
  EXPECT_FALSE(demoted->may(Role::observer));
  EXPECT_TRUE(demoted->may(Role::open));
}

TEST(CredentialVerifier, UnscopedTokenCarriesAllRolesOfItsUser) {
  Bench s;
  const auto token = s.credentials.add_token("ops", {Role::viewer, Role::service});
  const auto caller = caller_of(s.verify(bearer(token)));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->roles, (std::vector<Role>{Role::viewer, Role::service}));
}

// ---- Use tracking ----

TEST(CredentialVerifier, TakeUsedReturnsEachUsedPrefixOnceThenNothing) {
  Bench s;
  const auto a = s.credentials.add_token("recorder", {Role::observer});
  const auto b = s.credentials.add_token("pipeline", {Role::service});
  const auto unused = s.credentials.add_token("idle", {Role::viewer});
  s.credentials.add_user("alice", {Role::viewer});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(caller_of(s.verify(bearer(a))));
    ASSERT_TRUE(caller_of(s.verify(bearer(b))));
  }
  ASSERT_TRUE(caller_of(s.verify(bearer(sign_hs256(claims_for("alice", s.clock), kSecret)))));
  ASSERT_TRUE(error_of(s.verify(bearer(unknown_token()))));

  auto used = s.verifier.take_used();
  std::sort(used.begin(), used.end());
  auto expected = std::vector<std::string>{token_prefix(a), token_prefix(b)};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(used, expected) << "JWTs, refusals and unused tokens are not reported";
  EXPECT_TRUE(s.verifier.take_used().empty());

  ASSERT_TRUE(caller_of(s.verify(bearer(a))));
  EXPECT_EQ(s.verifier.take_used(), std::vector<std::string>{token_prefix(a)});
  (void)unused;
}

TEST(CredentialVerifier, RefusedTokenIsNotReportedAsUsed) {
  Bench s;
  const auto token = s.credentials.add_token("recorder", {Role::observer});
  s.credentials.change_token(token, [](TokenRecord& t) { t.active = false; });
  ASSERT_TRUE(error_of(s.verify(bearer(token))));
  EXPECT_TRUE(s.verifier.take_used().empty());
}

// ---- Secrets stay secret ----

TEST(CredentialVerifier, RefusalsNeverQuoteTheCredentialInTheAnswerOrTheLog) {
  Bench s;
  s.credentials.add_user("alice", {Role::admin});
  const auto revoked = s.credentials.add_token("recorder", {Role::observer});
  s.credentials.change_token(revoked, [](TokenRecord& t) { t.active = false; });
  const auto expired = s.credentials.add_token("pipeline", {Role::service});
  s.credentials.change_token(expired, [&](TokenRecord& t) { t.expires_at = s.clock.now() - 1s; });
  const auto wrong_hash = [&] {
    auto t = s.credentials.add_token("third", {Role::viewer});
    t.back() = t.back() == '0' ? '1' : '0';
    return t;
  }();

  const std::vector<std::string> secrets{
      unknown_token(),
      revoked,
      expired,
      wrong_hash,
      "junk-credential-7f3a9c",
      sign_hs256(claims_for("alice", s.clock), "another-secret-that-is-also-32-bytes-long"),
      sign_hs256(claims_for("mallory", s.clock), kSecret),
  };
  test::LogCapture log;
  int address = 0;
  for (const auto& secret : secrets) {
    // A new address each time, so that every refusal is logged.
    const auto remote = "203.0.113." + std::to_string(++address);
    for (const auto& authorization : {bearer(secret), "Basic " + secret}) {
      const auto error = error_of(s.verify(authorization, remote));
      ASSERT_TRUE(error) << "refused credential #" << address << " was admitted";
      const std::string message = error->what();
      EXPECT_EQ(message.find(secret), std::string::npos) << message;
      EXPECT_EQ(error->to_json().dump().find(secret), std::string::npos);
    }
  }
  // The secret part of API tokens (after the display prefix) must not leak either.
  const auto lines = log.lines();
  EXPECT_GE(lines.size(), secrets.size()) << "every address logs its first refusal";
  for (const auto& line : lines) {
    for (const auto& secret : secrets) {
      EXPECT_EQ(line.find(secret), std::string::npos) << line;
      if (is_api_token(secret)) {
        const auto hidden = secret.substr(kApiTokenMarker.size() + 12);
        EXPECT_EQ(line.find(hidden), std::string::npos) << line;
        EXPECT_EQ(line.find(token_hash(secret)), std::string::npos) << line;
      }
    }
  }
}

// ---- FailureLog ----

TEST(FailureLog, ManyRefusalsFromOneAddressWithinTheIntervalLogOneLine) {
  ManualClock clock;
  FailureLog failures(clock, 60s);
  test::LogCapture log;
  int logged = 0;
  for (int i = 0; i < 100; ++i) {
    clock.advance(100ms);
    if (failures.note("203.0.113.9", "unknown API token")) ++logged;
  }
  EXPECT_EQ(logged, 1);
  EXPECT_EQ(log.count("203.0.113.9"), 1u);
  EXPECT_EQ(log.count("unknown API token"), 1u);
}

TEST(FailureLog, AfterTheIntervalTheNextRefusalIsLoggedWithTheSuppressedCount) {
  ManualClock clock;
  FailureLog failures(clock, 60s);
  test::LogCapture log;
  for (int i = 0; i < 100; ++i) failures.note("203.0.113.9", "unknown API token");
  clock.advance(61s);
  EXPECT_TRUE(failures.note("203.0.113.9", "unknown API token"));
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("99 more refused"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[0].find("more refused"), std::string::npos) << lines[0];

  // The count starts over after each report.
  clock.advance(61s);
  EXPECT_TRUE(failures.note("203.0.113.9", "unknown API token"));
  ASSERT_EQ(log.lines().size(), 3u);
  EXPECT_EQ(log.lines()[2].find("more refused"), std::string::npos) << log.lines()[2];
}

TEST(FailureLog, ExactlyOneIntervalLaterTheNextRefusalIsLoggedAgain) {
  ManualClock clock;
  FailureLog failures(clock, 60s);
  test::LogCapture log;
  EXPECT_TRUE(failures.note("203.0.113.9", "r"));
  clock.advance(59s);
  EXPECT_FALSE(failures.note("203.0.113.9", "r"));
  clock.advance(1s);
  EXPECT_TRUE(failures.note("203.0.113.9", "r"));
}

TEST(FailureLog, AddressesAreRateLimitedIndependently) {
  ManualClock clock;
  FailureLog failures(clock, 60s);
  test::LogCapture log;
  for (int i = 0; i < 10; ++i) {
    failures.note("203.0.113.1", "unknown API token");
    failures.note("203.0.113.2", "unknown API token");
  }
  EXPECT_EQ(log.count("203.0.113.1"), 1u);
  EXPECT_EQ(log.count("203.0.113.2"), 1u);
  EXPECT_TRUE(failures.note("203.0.113.3", "unknown API token"))
      << "a new address is logged however busy the others are";
}

TEST(FailureLog, AScanOfManyAddressesCannotGrowItBeyondItsLimit) {
  ManualClock clock;
  FailureLog failures(clock, 60s, 8);
  test::LogCapture log;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(failures.note("10.0.0." + std::to_string(i), "r")) << i;
  }
  // Forgotten addresses may log once more; remembered ones stay quiet.
  EXPECT_FALSE(failures.note("10.0.0.99", "r"));
}

// ---- Roles ----

TEST(Roles, GrantTableMatchesTheDesign) {
  const std::vector<Role> all{Role::open, Role::viewer, Role::observer, Role::service, Role::admin};
  struct Row {
    Role held;
    std::vector<Role> granted;
  };
  const std::vector<Row> table{
      {Role::admin, {Role::open, Role::viewer, Role::observer, Role::service, Role::admin}},
      {Role::observer, {Role::open, Role::viewer, Role::observer, Role::service}},
      {Role::service, {Role::open, Role::viewer, Role::observer, Role::service}},
      {Role::viewer, {Role::open, Role::viewer}},
      {Role::open, {Role::open}},
  };
  for (const auto& row : table) {
    for (Role required : all) {
      const bool expected =
          std::find(row.granted.begin(), row.granted.end(), required) != row.granted.end();
      EXPECT_EQ(role_grants(row.held, required), expected)
          << role_name(row.held) << " -> " << role_name(required);
      const Caller caller{.user = "u", .roles = {row.held}};
      EXPECT_EQ(caller.may(required), expected)
          << "Caller{" << role_name(row.held) << "}.may(" << role_name(required) << ")";
    }
  }
}

TEST(Roles, NothingButAdminGrantsAdmin) {
  for (Role held : {Role::open, Role::viewer, Role::observer, Role::service}) {
    EXPECT_FALSE(role_grants(held, Role::admin)) << role_name(held);
  }
  EXPECT_FALSE((Caller{.roles = {Role::viewer, Role::observer, Role::service}}.may(Role::admin)));
}

TEST(Roles, OpenIsAlwaysGrantedEvenWithoutRoles) {
  EXPECT_TRUE(Caller{}.may(Role::open));
  EXPECT_FALSE(Caller{}.may(Role::viewer));
  for (Role held : {Role::open, Role::viewer, Role::observer, Role::service, Role::admin}) {
    EXPECT_TRUE(role_grants(held, Role::open)) << role_name(held);
  }
}

TEST(Roles, CallerMayWhatAnyOfItsRolesGrants) {
  const Caller caller{.roles = {Role::viewer, Role::admin}};
  EXPECT_TRUE(caller.may(Role::admin));
  EXPECT_TRUE(caller.may(Role::observer));
}

TEST(Roles, NamesRoundTripAndOpenIsNotAHeldRole) {
  for (Role role : {Role::viewer, Role::observer, Role::service, Role::admin}) {
    EXPECT_EQ(parse_role(role_name(role)), role);
  }
  EXPECT_EQ(parse_role("open"), std::nullopt);
  EXPECT_EQ(parse_role("Admin"), std::nullopt);
  EXPECT_EQ(parse_role(""), std::nullopt);
}

}  // namespace
}  // namespace opsdb::auth
