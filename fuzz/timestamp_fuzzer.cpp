// Timestamps from clients and documents: nullopt, or a canonical form that is its own
// canonical form (what is buffered must be read back unchanged by the drain).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "opsdb/core/timestamp.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  const auto canonical =
      canonical_timestamp(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!canonical) return 0;
  const auto again = canonical_timestamp(*canonical);
  fuzz::require(again && *again == *canonical, "a canonical timestamp is not canonical",
                *canonical);
  return 0;
}
