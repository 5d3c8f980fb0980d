// An Idempotency-Key header value: refused with a 400, or accepted and then deriving the same
// ids for a request built twice, ids the schema registry still accepts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "opsdb/core/clock.hpp"
#include "opsdb/core/error.hpp"
#include "opsdb/tx/idempotency.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  const std::string key(reinterpret_cast<const char*>(data), size);
  try {
    check_idempotency_key(key);
  } catch (const ApiError& e) {
    fuzz::require(e.kind() == ErrorKind::bad_request, "a key is refused other than as 400",
                  e.what());
    return 0;
  }
  static const ManualClock clock;
  static const TransactionBuilder builder("observatory", clock);
  const auto body = nlohmann::json{{"obs_unit_id", 1}};
  auto first = builder.start_observation(body);
  auto again = builder.start_observation(body);
  const auto hash = request_hash("POST", "/executed_obs_units/start", body.dump());
  make_idempotent(first, "observatory", key, hash);
  make_idempotent(again, "observatory", key, hash);
  fuzz::require(first.tx.id == again.tx.id && first.response == again.response,
                "a key derives different ids for the same request", key);
  try {
    check_against_registry(first.tx);
  } catch (const std::exception& e) {
    fuzz::require(false, "a keyed transaction breaks the registry", e.what());
  }
  return 0;
}
