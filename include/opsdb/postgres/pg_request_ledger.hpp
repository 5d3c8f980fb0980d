#pragma once

#include "opsdb/postgres/database.hpp"
#include "opsdb/tx/idempotency.hpp"

namespace opsdb {

/// `idempotent_request` on the main database.
class PgRequestLedger final : public RequestLedger {
 public:
  explicit PgRequestLedger(Database& main) : main_(main) {}
  void recorded_hash(const std::string& transaction_id,
                     Callback<std::optional<std::string>> done) override;

 private:
  Database& main_;
};

}  // namespace opsdb
