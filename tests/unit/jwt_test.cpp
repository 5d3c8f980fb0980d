#include "opsdb/auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/jws.hpp"

namespace opsdb::auth {
namespace {

using Clock = std::chrono::system_clock;
using Kind = JwtRejection::Kind;
using nlohmann::json;
using test::b64url;
using test::mac;

constexpr std::string_view kSecret = "unit-test-secret-of-at-least-32-bytes";
constexpr std::int64_t kNowSeconds = 1'800'000'000;  // 2027-01-15T08:00:00Z
const Clock::time_point kNow{std::chrono::seconds{kNowSeconds}};

// A compact JWS of any header and payload text, signed by hand with `md` under `key`: what an
// attacker or a misconfigured issuer could send.
std::string forge(std::string_view header, std::string_view payload, std::string_view key = kSecret,
                  const EVP_MD* md = EVP_sha256()) {
  return test::forge(header, payload, key, md);
}

constexpr std::string_view kHs256 = R"({"alg":"HS256","typ":"JWT"})";

json claims(std::int64_t exp = kNowSeconds + 3600) {
  return {{"sub", "alice"}, {"exp", exp}};
}

json claims_with(const char* name, json value) {
  auto result = claims();
  result[name] = std::move(value);
  return result;
}

json claims_without(const char* name) {
  auto result = claims();
  result.erase(name);
  return result;
}

std::string signed_claims(const json& payload) {
  return forge(kHs256, payload.dump());
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::malformed:
      return "malformed";
    case Kind::unsupported_algorithm:
      return "unsupported_algorithm";
    case Kind::bad_signature:
      return "bad_signature";
    case Kind::expired:
      return "expired";
    case Kind::not_yet_valid:
      return "not_yet_valid";
    case Kind::missing_claim:
      return "missing_claim";
  }
  return "?";
}

JwtVerification verify(std::string_view token,
                       std::chrono::seconds leeway = std::chrono::seconds{30}) {
  return verify_hs256(token, kSecret, kNow, leeway);
}

std::string part(const std::string& token, int index) {
  std::size_t begin = 0;
  for (int i = 0; i < index; ++i) begin = token.find('.', begin) + 1;
  return token.substr(begin, token.find('.', begin) - begin);
}

struct RefusedCase {
  std::string name;
  std::string token;
  Kind kind;
};

std::vector<RefusedCase> refused_cases() {
  const std::string good = sign_hs256(claims(), kSecret);
  const std::string header = part(good, 0);
  const std::string payload = part(good, 1);
  const std::string signature = part(good, 2);
  const std::string tampered_payload =
      b64url(json{{"sub", "admin"}, {"exp", kNowSeconds + 3600}}.dump());
  const std::string payload_text = claims().dump();
  return {
      // Not a compact JWS at all.
      {"empty", "", Kind::malformed},
      {"garbage", "not a token", Kind::malformed},
      {"two parts", header + "." + payload, Kind::malformed},
      {"four parts", good + "." + signature, Kind::malformed},
      {"empty header", "." + payload + "." + signature, Kind::malformed},
      {"empty payload", header + ".." + signature, Kind::malformed},
      {"empty signature", header + "." + payload + ".", Kind::malformed},
      {"only dots", "..", Kind::malformed},
      {"padding", header + "." + payload + "." + signature + "=", Kind::malformed},
      {"padding in the header",
       b64url(std::string(kHs256) + " ") + "=." + payload + "." + signature, Kind::malformed},
      {"base64 not base64url", header + "." + payload + "+/." + signature, Kind::malformed},
      {"space", header + ". " + payload + "." + signature, Kind::malformed},
      {"impossible length", header + "." + payload + "." + signature + "AA", Kind::malformed},
      {"non-canonical last character", header + "." + payload + "." + signature.substr(0, 42) + "B",
       Kind::malformed},
      {"header not JSON", b64url("{alg:HS256}") + "." + payload + "." + signature, Kind::malformed},
      {"header a JSON array", forge(R"(["HS256"])", payload_text), Kind::malformed},
      {"header with invalid UTF-8", forge("{\"alg\":\"HS256\",\"x\":\"\xC3\x28\"}", payload_text),
       Kind::malformed},
      {"typ not JWT", forge(R"({"alg":"HS256","typ":"JOSE"})", payload_text), Kind::malformed},
      {"typ not a string", forge(R"({"alg":"HS256","typ":1})", payload_text), Kind::malformed},
      {"too long", signed_claims(claims_with("pad", std::string(7000, 'x'))), Kind::malformed},
      // The algorithm is ours to choose, never the token's.
      {"alg none, empty signature", b64url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".",
       Kind::unsupported_algorithm},
      {"alg none, some signature", b64url(R"({"alg":"none"})") + "." + payload + "." + signature,
       Kind::unsupported_algorithm},
      {"HS512", forge(R"({"alg":"HS512","typ":"JWT"})", payload_text, kSecret, EVP_sha512()),
       Kind::unsupported_algorithm},
      {"RS256", forge(R"({"alg":"RS256","typ":"JWT"})", payload_text), Kind::unsupported_algorithm},
      {"lower-case hs256", forge(R"({"alg":"hs256"})", payload_text), Kind::unsupported_algorithm},
      {"no alg", forge(R"({"typ":"JWT"})", payload_text), Kind::unsupported_algorithm},
      {"alg not a string", forge(R"({"alg":256})", payload_text), Kind::unsupported_algorithm},
      {"crit", forge(R"({"alg":"HS256","crit":["b64"],"b64":false})", payload_text),
       Kind::unsupported_algorithm},
      // The signature.
      {"wrong key", forge(kHs256, payload_text, "another-secret-of-at-least-32-bytes"),
       Kind::bad_signature},
      {"tampered payload", header + "." + tampered_payload + "." + signature, Kind::bad_signature},
      {"signature of another token", header + "." + payload + "." + part(forge(kHs256, "{}"), 2),
       Kind::bad_signature},
      {"short signature", header + "." + payload + "." + signature.substr(0, 40),
       Kind::bad_signature},
      {"HS512 signature under an HS256 header", forge(kHs256, payload_text, kSecret, EVP_sha512()),
       Kind::bad_signature},
      // The claims, once the signature holds.
      {"payload not JSON", forge(kHs256, "sub=alice"), Kind::malformed},
      {"payload a JSON string", forge(kHs256, R"("alice")"), Kind::malformed},
      {"payload with invalid UTF-8", forge(kHs256, "{\"sub\":\"\xFF\",\"exp\":1900000000}"),
       Kind::malformed},
      {"missing sub", signed_claims(claims_without("sub")), Kind::missing_claim},
      {"empty sub", signed_claims(claims_with("sub", "")), Kind::missing_claim},
      {"sub a number", signed_claims(claims_with("sub", 42)), Kind::missing_claim},
      {"sub too long", signed_claims(claims_with("sub", std::string(257, 'a'))),
       Kind::missing_claim},
      {"missing exp", signed_claims(claims_without("exp")), Kind::missing_claim},
      {"exp a string", signed_claims(claims_with("exp", "1800003600")), Kind::malformed},
      {"exp null", signed_claims(claims_with("exp", nullptr)), Kind::malformed},
      {"exp negative", signed_claims(claims_with("exp", -1)), Kind::malformed},
      {"exp after 9999", signed_claims(claims_with("exp", 253'402'300'800)), Kind::malformed},
      {"exp huge", forge(kHs256, R"({"sub":"alice","exp":1e300})"), Kind::malformed},
      {"exp beyond a double", forge(kHs256, R"({"sub":"alice","exp":1e999})"), Kind::malformed},
      {"exp past int64", forge(kHs256, R"({"sub":"alice","exp":18446744073709551615})"),
       Kind::malformed},
      {"nbf a string", signed_claims(claims_with("nbf", "yesterday")), Kind::malformed},
      {"iat a boolean", signed_claims(claims_with("iat", true)), Kind::malformed},
      {"iat negative", signed_claims(claims_with("iat", -0.5)), Kind::malformed},
      {"expired", signed_claims(claims(kNowSeconds - 31)), Kind::expired},
      {"expired long ago", signed_claims(claims(0)), Kind::expired},
      {"nbf beyond the leeway", signed_claims(claims_with("nbf", kNowSeconds + 31)),
       Kind::not_yet_valid},
      {"iat in the future", signed_claims(claims_with("iat", kNowSeconds + 31)),
       Kind::not_yet_valid},
  };
}

TEST(Jwt, ASignedTokenVerifiesWithItsSubjectAndExpiry) {
  const auto token = sign_hs256(claims(kNowSeconds + 3600), kSecret);
  EXPECT_TRUE(looks_like_jwt(token));
  const auto result = verify(token);
  ASSERT_TRUE(std::holds_alternative<JwtClaims>(result)) << std::get<JwtRejection>(result).reason;
  EXPECT_EQ(std::get<JwtClaims>(result).subject, "alice");
  EXPECT_EQ(std::get<JwtClaims>(result).expires_at, kNow + std::chrono::hours{1});
}

TEST(Jwt, RefusesEachBrokenTokenForItsReason) {
  for (const auto& c : refused_cases()) {
    const auto result = verify(c.token);
    ASSERT_TRUE(std::holds_alternative<JwtRejection>(result)) << c.name << " was accepted";
    const auto& rejection = std::get<JwtRejection>(result);
    EXPECT_STREQ(kind_name(rejection.kind), kind_name(c.kind))
        << c.name << ": " << rejection.reason;
    EXPECT_FALSE(rejection.reason.empty()) << c.name;
  }
}

TEST(Jwt, ReasonsNeverQuoteTheTokenOrTheSecret) {
  for (const auto& c : refused_cases()) {
    // The token's parts too: a reason quoting the payload would leak it just as well.
    std::vector<std::string> secrets_of_the_case = {std::string(kSecret)};
    if (!c.token.empty()) secrets_of_the_case.push_back(c.token);
    for (int i = 0; i < 3 && c.token.find('.') != std::string::npos; ++i) {
      if (auto text = part(c.token, i); text.size() >= 8) secrets_of_the_case.push_back(text);
    }
    for (const std::string_view secret : {kSecret, std::string_view{}}) {
      const auto result = verify_hs256(c.token, secret, kNow);
      ASSERT_TRUE(std::holds_alternative<JwtRejection>(result)) << c.name;
      const auto& reason = std::get<JwtRejection>(result).reason;
      for (const auto& text : secrets_of_the_case) {
        EXPECT_EQ(reason.find(text), std::string::npos) << c.name << ": " << reason;
      }
    }
  }
}

TEST(Jwt, ReasonsSayWhatIsWrong) {
  const auto reason = [](const std::string& token) {
    return std::get<JwtRejection>(verify(token)).reason;
  };
  EXPECT_EQ(reason("abc"), "token is not a JWS in compact form");
  EXPECT_EQ(reason(forge(R"({"alg":"HS512"})", claims().dump(), kSecret, EVP_sha512())),
            "algorithm 'HS512' is not accepted; only HS256");
  EXPECT_EQ(reason(forge(kHs256, claims().dump(), "another-secret-of-at-least-32-bytes")),
            "signature does not match");
  EXPECT_EQ(reason(signed_claims(claims(kNowSeconds - 3600))),
            "token expired at 2027-01-15T07:00:00Z");
  EXPECT_EQ(reason(signed_claims(claims_with("nbf", kNowSeconds + 3600))),
            "token is not valid before 2027-01-15T09:00:00Z");
  EXPECT_EQ(reason(signed_claims(claims_without("sub"))), "claim 'sub' is missing");
  EXPECT_EQ(reason(signed_claims(claims_without("exp"))), "claim 'exp' is missing");
  // A name that is no algorithm's is not repeated into the logs.
  EXPECT_EQ(reason(forge(R"({"alg":"none\nFAKE LOG LINE"})", claims().dump())),
            "algorithm is not accepted; only HS256");
}

TEST(Jwt, LeewayAllowsClockSkewAndNoMore) {
  struct Case {
    const char* name;
    json payload;
    std::chrono::seconds leeway;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {"exp just passed, within leeway", claims(kNowSeconds - 30), std::chrono::seconds{30}, true},
      {"exp beyond leeway", claims(kNowSeconds - 31), std::chrono::seconds{30}, false},
      {"exp now", claims(kNowSeconds), std::chrono::seconds{0}, true},
      {"exp a second ago, no leeway", claims(kNowSeconds - 1), std::chrono::seconds{0}, false},
      {"exp a second ago, negative leeway", claims(kNowSeconds - 1), std::chrono::seconds{-60},
       false},
      {"exp long ago, huge leeway", claims(0), std::chrono::seconds::max(), true},
      {"nbf within leeway", claims_with("nbf", kNowSeconds + 30), std::chrono::seconds{30}, true},
      {"nbf beyond leeway", claims_with("nbf", kNowSeconds + 31), std::chrono::seconds{30}, false},
      {"nbf now", claims_with("nbf", kNowSeconds), std::chrono::seconds{0}, true},
      {"iat within leeway", claims_with("iat", kNowSeconds + 30), std::chrono::seconds{30}, true},
      {"iat beyond leeway", claims_with("iat", kNowSeconds + 31), std::chrono::seconds{30}, false},
      {"iat in the past", claims_with("iat", kNowSeconds - 86400), std::chrono::seconds{0}, true},
  };
  for (const auto& c : cases) {
    const auto result = verify(signed_claims(c.payload), c.leeway);
    EXPECT_EQ(std::holds_alternative<JwtClaims>(result), c.accepted) << c.name;
  }
}

TEST(Jwt, TimesMayBeFractionalAndFarOffWithoutOverflow) {
  auto fractional = verify(forge(kHs256, R"({"sub":"alice","exp":1800000000.5,"nbf":1.5e9})"));
  ASSERT_TRUE(std::holds_alternative<JwtClaims>(fractional));
  EXPECT_EQ(std::get<JwtClaims>(fractional).expires_at, kNow + std::chrono::milliseconds{500});

  // Year 9999 is past the end of the clock (2262 with nanoseconds): held as the clock's end.
  auto far = verify(signed_claims(claims(253'402'300'799)));
  ASSERT_TRUE(std::holds_alternative<JwtClaims>(far));
  EXPECT_GE(std::get<JwtClaims>(far).expires_at, kNow + std::chrono::hours{24 * 365 * 200});

  auto any_now = verify_hs256(signed_claims(claims()), kSecret, Clock::time_point::max());
  ASSERT_TRUE(std::holds_alternative<JwtRejection>(any_now));
  EXPECT_EQ(std::get<JwtRejection>(any_now).kind, Kind::expired);
  auto before_epoch =
      verify_hs256(signed_claims(claims_with("nbf", 0)), kSecret, Clock::time_point::min());
  ASSERT_TRUE(std::holds_alternative<JwtRejection>(before_epoch));
  EXPECT_EQ(std::get<JwtRejection>(before_epoch).kind, Kind::not_yet_valid);
}

TEST(Jwt, HeaderTypeIsCaseInsensitiveAndOptional) {
  for (const char* header : {R"({"alg":"HS256","typ":"JWT"})", R"({"alg":"HS256","typ":"jwt"})",
                             R"({"alg":"HS256"})", R"({"typ":"JWT","alg":"HS256","kid":"k1"})"}) {
    EXPECT_TRUE(std::holds_alternative<JwtClaims>(verify(forge(header, claims().dump()))))
        << header;
  }
}

TEST(Jwt, AnEmptySecretVerifiesNothing) {
  // Not even a token signed under the empty key: a missing secret must not open the door.
  for (const auto& token : {sign_hs256(claims(), kSecret), forge(kHs256, claims().dump(), "")}) {
    const auto result = verify_hs256(token, "", kNow);
    ASSERT_TRUE(std::holds_alternative<JwtRejection>(result));
    EXPECT_EQ(std::get<JwtRejection>(result).kind, Kind::bad_signature);
  }
}

TEST(Jwt, TokensAreBoundedInLength) {
  const auto near_limit = signed_claims(claims_with("pad", std::string(6000, 'x')));
  ASSERT_LE(near_limit.size(), 8192u);
  EXPECT_TRUE(std::holds_alternative<JwtClaims>(verify(near_limit)));

  const auto over_limit = signed_claims(claims_with("pad", std::string(6200, 'x')));
  ASSERT_GT(over_limit.size(), 8192u);
  const auto result = verify(over_limit);
  ASSERT_TRUE(std::holds_alternative<JwtRejection>(result));
  EXPECT_EQ(std::get<JwtRejection>(result).kind, Kind::malformed);
  EXPECT_TRUE(std::holds_alternative<JwtRejection>(verify(std::string(1 << 20, 'A'))));
}

TEST(Jwt, LooksLikeJwtJudgesShapeOnly) {
  EXPECT_TRUE(looks_like_jwt(sign_hs256(claims(), kSecret)));
  EXPECT_TRUE(looks_like_jwt("YWJj.ZGVm.Z2hp"));  // "abc.def.ghi": not JSON, but the shape
  for (const char* text :
       {"", "abc", "abc.def", "abc.def.ghi.jkl", ".def.ghi", "abc..ghi", "abc.def.",
        "abc.def.gh=", "abc.de+.ghi", "abc.def.g", "opsdb_4f3c2b1a0e9d8c7b"}) {
    EXPECT_FALSE(looks_like_jwt(text)) << text;
  }
}

TEST(Jwt, SigningRefusesWhatCouldNeverVerify) {
  EXPECT_THROW(sign_hs256(json::array(), kSecret), std::invalid_argument);
  EXPECT_THROW(sign_hs256(claims(), ""), std::invalid_argument);
  const auto token = sign_hs256(claims(), kSecret);
  EXPECT_EQ(part(token, 0), b64url(kHs256));
}

}  // namespace
}  // namespace opsdb::auth
