#pragma once

#include "opsdb/postgres/database.hpp"
#include "opsdb/status/database_probe.hpp"

namespace opsdb {

/// Probes a PostgreSQL database with the cheapest statement that needs a working connection.
class PgDatabaseProbe final : public DatabaseProbe {
 public:
  explicit PgDatabaseProbe(Database& db) : db_(db) {}
  void probe(Callback<void> done) override;

 private:
  Database& db_;
};

}  // namespace opsdb
