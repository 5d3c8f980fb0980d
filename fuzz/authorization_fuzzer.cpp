// Authorization header values as clients send them, through the credential verifier the router
// asks: every value gets an answer without throwing, a refusal is a 401, and only the one real
// token, or a JWT validly signed for the one real user, is ever admitted.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "opsdb/auth/credential_verifier.hpp"
#include "opsdb/auth/jwt.hpp"
#include "require.hpp"
#include "support/credentials.hpp"

namespace {

using namespace opsdb;
using fuzz::require;

constexpr const char* kSecret = "a-fuzzing-secret-of-at-least-32-bytes!!";

struct World {
  test::InMemoryCredentials credentials;
  ManualClock clock;
  auth::CredentialVerifier verifier{credentials, clock, {.jwt_secret = kSecret}};
  std::string token = credentials.add_token("fuzzer", {Role::observer});
};

// The JWT part of a Bearer value that the verifier admitted, checked independently.
bool is_valid_jwt_for_fuzzer(std::string_view value, const Clock& clock) {
  const auto space = value.find(' ');
  if (space == std::string_view::npos) return false;
  auto credential = value.substr(space + 1);
  while (!credential.empty() && (credential.front() == ' ' || credential.front() == '\t')) {
    credential.remove_prefix(1);
  }
  while (!credential.empty() && (credential.back() == ' ' || credential.back() == '\t')) {
    credential.remove_suffix(1);
  }
  const auto verified = auth::verify_hs256(credential, kSecret, clock.now());
  const auto* claims = std::get_if<auth::JwtClaims>(&verified);
  return claims != nullptr && claims->subject == "fuzzer";
}

void require_sound(const Admission& admission, std::string_view value, const World& world) {
  if (const auto* refusal = std::get_if<ApiError>(&admission)) {
    require(refusal->kind() == ErrorKind::unauthorized,
            "a credential was refused with other than 401", refusal->what());
    require(std::string_view(refusal->what()).find(world.token) == std::string_view::npos,
            "a refusal quotes the token");
    return;
  }
  const bool real_token = value.find(world.token) != std::string_view::npos;
  require(real_token || is_valid_jwt_for_fuzzer(value, world.clock),
          "a credential was admitted that is neither the token nor a valid JWT",
          std::string(value));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  try {
    if (auto admission = world.verifier.check(value, "192.0.2.7")) {
      require_sound(*admission, value, world);
      return 0;
    }
    world.verifier.look_up(std::string(value), "192.0.2.7",
                           [&](Admission admission) { require_sound(admission, value, world); });
  } catch (const std::exception& e) {
    require(false, "the verifier threw", e.what());
  }
  return 0;
}
