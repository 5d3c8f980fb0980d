// What verifying a request's credentials costs the server once they are cached (every request
// but the first few of a client): the router's call into the verifier, per credential kind.
#include <benchmark/benchmark.h>

#include <chrono>

#include "opsdb/auth/credential_verifier.hpp"
#include "opsdb/auth/jwt.hpp"
#include "support/credentials.hpp"

namespace {

using namespace opsdb;

constexpr const char* kSecret = "a-benchmark-secret-of-at-least-32-bytes";

struct Fixture {
  test::InMemoryCredentials credentials;
  SystemClock clock;
  auth::CredentialVerifier verifier{credentials, clock, {.jwt_secret = kSecret}};
  std::string token = "Bearer " + credentials.add_token("bench", {Role::observer});
  std::string jwt;

  Fixture() {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    jwt = "Bearer " + auth::sign_hs256({{"sub", "bench"}, {"exp", now + 3600}}, kSecret);
    // Fill the cache as the first request of each would.
    for (const auto* credential : {&token, &jwt}) {
      verifier.look_up(*credential, "127.0.0.1", [](Admission) {});
    }
  }
};

void check(benchmark::State& state, std::string Fixture::*credential) {
  Fixture f;
  for (auto _ : state) {
    auto admission = f.verifier.check(f.*credential, "127.0.0.1");
    if (!admission || !std::holds_alternative<Caller>(*admission)) {
      state.SkipWithError("not admitted from the cache");
      break;
    }
    benchmark::DoNotOptimize(admission);
  }
}

void BM_ApiToken(benchmark::State& state) {
  check(state, &Fixture::token);
}
void BM_Jwt(benchmark::State& state) {
  check(state, &Fixture::jwt);
}

BENCHMARK(BM_ApiToken);
BENCHMARK(BM_Jwt);

}  // namespace

BENCHMARK_MAIN();
