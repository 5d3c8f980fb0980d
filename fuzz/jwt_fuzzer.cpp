// Bearer tokens as clients send them: HS256 verification answers every input without throwing,
// and what it accepts has the shape of a JWT and verifies again once signed anew. The input is
// also read as "secret\0token", and as a claims object signed here, because a mutated token
// never carries a valid HMAC: only these reach the checks of the claims.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "opsdb/auth/jwt.hpp"
#include "require.hpp"

namespace {

using opsdb::fuzz::require;
using namespace opsdb::auth;

constexpr std::string_view kSecret = "a-fuzzing-secret-of-at-least-32-bytes!!";
const std::chrono::system_clock::time_point kNow{std::chrono::seconds{1'800'000'000}};

JwtVerification verify_without_throwing(std::string_view token, std::string_view secret) {
  try {
    return verify_hs256(token, secret, kNow);
  } catch (const std::exception& e) {
    require(false, "verify_hs256 threw", e.what());
  } catch (...) {
    require(false, "verify_hs256 threw something that is not a std::exception");
  }
  std::abort();
}

void check_token(std::string_view token, std::string_view secret) {
  const auto result = verify_without_throwing(token, secret);
  const bool shaped = looks_like_jwt(token);
  const auto* claims = std::get_if<JwtClaims>(&result);
  if (!claims) return;
  require(shaped, "a verified token does not look like a JWT", std::string(token));
  const auto exp =
      std::chrono::floor<std::chrono::seconds>(claims->expires_at.time_since_epoch()).count();
  const auto again =
      verify_without_throwing(sign_hs256({{"sub", claims->subject}, {"exp", exp}}, secret), secret);
  const auto* same = std::get_if<JwtClaims>(&again);
  require(same && same->subject == claims->subject,
          "a verified token signed again does not verify with its subject", claims->subject);
}

void check_signed_claims(std::string_view text) {
  const auto claims = nlohmann::json::parse(text, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) return;
  const auto token = sign_hs256(claims, kSecret);
  const auto result = verify_without_throwing(token, kSecret);
  if (const auto* rejection = std::get_if<JwtRejection>(&result)) {
    require(rejection->kind != JwtRejection::Kind::bad_signature &&
                rejection->kind != JwtRejection::Kind::unsupported_algorithm,
            "a token signed by sign_hs256 is refused for its signature", rejection->reason);
    return;
  }
  const auto sub = claims.find("sub");
  require(sub != claims.end() && sub->is_string() && *sub == std::get<JwtClaims>(result).subject,
          "a token is accepted with a subject its claims do not hold", token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_token(input, kSecret);
  if (const auto nul = input.find('\0'); nul != std::string_view::npos) {
    check_token(input.substr(nul + 1), input.substr(0, nul));
  }
  check_signed_claims(input);
  return 0;
}
