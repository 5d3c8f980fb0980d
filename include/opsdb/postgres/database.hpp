#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/result.hpp"
#include "opsdb/tx/transaction_applier.hpp"

namespace opsdb {

/// A parameterised SQL statement. The text is built only from registry identifiers and fixed
/// SQL; every value is a parameter.
struct SqlQuery {
  std::string text;
  std::vector<std::optional<std::string>> params;
};

/// The text form of a `uuid[]` parameter, '{id,id,...}' (the ids were checked as UUIDs by
/// their source).
inline std::string uuid_array(const std::vector<std::string>& ids) {
  std::string text = "{";
  for (const auto& id : ids) {
    if (text.size() > 1) text += ',';
    text += id;
  }
  return text + "}";
}

/// A PostgreSQL database reached asynchronously: calls return at once and `done` runs later on a
/// database worker thread. Implementations bound every call with a deadline.
class Database : public TransactionApplier {
 public:
  /// Runs a read statement returning one column of JSON text per row; `done` gets the parsed
  /// values as a JSON array.
  virtual void query(SqlQuery query, Callback<nlohmann::json> done) = 0;
};

}  // namespace opsdb
