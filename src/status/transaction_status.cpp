#include "opsdb/status/transaction_status.hpp"

namespace opsdb {

std::optional<std::string> record_location(const std::string& state) {
  if (state == "journaled") return "journal";
  if (state == "buffered" || state == "failed") return "buffer";
  if (state == "applied") return "main";
  if (state == "replicated") return "replica";
  return std::nullopt;
}

}  // namespace opsdb
