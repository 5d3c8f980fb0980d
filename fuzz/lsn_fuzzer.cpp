// LSN text as PostgreSQL and Redis hand it over: nullopt or a position whose canonical text
// parses back to the same position.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "opsdb/core/lsn.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  const auto lsn = Lsn::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!lsn) return 0;
  const auto text = lsn->to_string();
  const auto again = Lsn::parse(text);
  fuzz::require(again && *again == *lsn, "an LSN does not round-trip", text);
  return 0;
}
