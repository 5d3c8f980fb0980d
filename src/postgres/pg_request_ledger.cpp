#include "opsdb/postgres/pg_request_ledger.hpp"

namespace opsdb {

void PgRequestLedger::recorded_hash(const std::string& transaction_id,
                                    Callback<std::optional<std::string>> done) {
  main_.query({"SELECT to_jsonb(r.request_hash)::text FROM idempotent_request r "
               "WHERE r.id = $1::uuid",
               {transaction_id}},
              [done = std::move(done)](Result<nlohmann::json> rows) {
                if (!rows.ok()) return done(rows.error());
                if (rows->empty() || !(*rows)[0].is_string()) {
                  return done(std::optional<std::string>());
                }
                done(std::optional<std::string>((*rows)[0].get<std::string>()));
              });
}

}  // namespace opsdb
