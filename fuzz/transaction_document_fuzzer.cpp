// A transaction document as the drain reads it back from Redis (or from the dead-letter queue
// on replay): refused with std::invalid_argument or accepted, and an accepted one reads back
// the same after it is written again.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "opsdb/tx/transaction.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Transaction tx;
  try {
    tx = Transaction::parse(text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const auto document = tx.to_json().dump();
  try {
    fuzz::require(Transaction::parse(document).to_json().dump() == document,
                  "a transaction reads back differently", document);
  } catch (const std::invalid_argument& e) {
    fuzz::require(false, "a transaction does not read back",
                  std::string(e.what()) + "\n" + document);
  }
  return 0;
}
