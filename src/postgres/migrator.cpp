#include "opsdb/postgres/migrator.hpp"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

#include "opsdb/postgres/migrations.hpp"

namespace opsdb {
namespace {

// Arbitrary constant identifying the migration lock among advisory locks.
constexpr long long kMigrationLock = 0x6f7073646221;

}  // namespace

std::vector<std::string> migrate(const DbConfig& db) {
  pqxx::connection conn(connection_string(db));
  {
    pqxx::work setup(conn);
    setup.exec0("SET LOCAL client_min_messages = warning");
    setup.exec0(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    setup.commit();
  }
  std::vector<std::string> applied;
  for (const auto& migration : embedded_migrations()) {
    pqxx::work tx(conn);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
    if (!tx.exec_params("SELECT 1 FROM schema_migrations WHERE name = $1", migration.name)
             .empty()) {
      continue;
    }
    tx.exec0("SET LOCAL client_min_messages = warning");
    tx.exec(migration.sql);
    tx.exec_params0("INSERT INTO schema_migrations (name) VALUES ($1)", migration.name);
    tx.commit();
    spdlog::info("applied migration {}", migration.name);
    applied.push_back(migration.name);
  }
  return applied;
}

void seed_demo(const DbConfig& db) {
  pqxx::connection conn(connection_string(db));
  pqxx::work tx(conn);
  tx.exec(embedded_demo_seed());
  tx.commit();
}

}  // namespace opsdb
