#include "opsdb/postgres/pg_database_probe.hpp"

namespace opsdb {

void PgDatabaseProbe::probe(Callback<void> done) {
  db_.query({"SELECT to_jsonb(1)::text", {}}, [done = std::move(done)](Result<nlohmann::json> r) {
    if (!r.ok()) return done(r.error());
    done(Status());
  });
}

}  // namespace opsdb
