#pragma once

#include "opsdb/postgres/database.hpp"
#include "opsdb/processor/replica_progress.hpp"

namespace opsdb {

/// The replica's replay position from pg_last_wal_replay_lsn().
class PgReplicaProgress final : public ReplicaProgress {
 public:
  explicit PgReplicaProgress(Database& replica) : replica_(replica) {}
  void replay_lsn(Callback<std::optional<Lsn>> done) override;

 private:
  Database& replica_;
};

}  // namespace opsdb
