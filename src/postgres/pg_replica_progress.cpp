#include "opsdb/postgres/pg_replica_progress.hpp"

namespace opsdb {

void PgReplicaProgress::replay_lsn(Callback<std::optional<Lsn>> done) {
  // A local database that is not in recovery (a primary: LOCAL_DB left at the main database,
  // or a promoted replica) has no replay position; everything it holds up to its current WAL
  // position is "replicated" there.
  replica_.query({"SELECT to_jsonb((CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                  "ELSE pg_current_wal_lsn() END)::text)::text",
                  {}},
                 [done = std::move(done)](Result<nlohmann::json> r) {
                   if (!r.ok()) return done(r.error());
                   // NULL (a database that is not replaying) is no position.
                   if (r->empty() || !(*r)[0].is_string()) return done(std::optional<Lsn>{});
                   done(Lsn::parse((*r)[0].get<std::string>()));
                 });
}

}  // namespace opsdb
