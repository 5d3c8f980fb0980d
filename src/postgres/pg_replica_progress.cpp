#include "opsdb/postgres/pg_replica_progress.hpp"

namespace opsdb {

void PgReplicaProgress::replay_lsn(Callback<std::optional<Lsn>> done) {
  replica_.query({"SELECT to_jsonb(pg_last_wal_replay_lsn()::text)::text", {}},
                 [done = std::move(done)](Result<nlohmann::json> r) {
                   if (!r.ok()) return done(r.error());
                   // NULL (a database that is not replaying) is no position.
                   if (r->empty() || !(*r)[0].is_string()) return done(std::optional<Lsn>{});
                   done(Lsn::parse((*r)[0].get<std::string>()));
                 });
}

}  // namespace opsdb
