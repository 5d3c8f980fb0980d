#pragma once

#include <memory>
#include <string>

#include "opsdb/config/config.hpp"
#include "opsdb/postgres/database.hpp"

namespace opsdb {

/// PostgreSQL behind a pool of worker threads, one libpqxx connection each (libpq blocks, so it
/// never runs on an io_context thread). Connections are opened lazily and re-opened after a
/// failure. Every call has a deadline: libpq's connect_timeout, TCP keepalives and
/// tcp_user_timeout, the server's statement_timeout, and a watchdog that shuts the socket of a
/// call still running `statement_timeout + connect_timeout` after it started, which is what
/// frees a worker stuck on a hung (e.g. stopped) server.
class PgDatabase final : public Database {
 public:
  /// `name` appears in logs ("main", "replica"); `workers` is the number of connections.
  PgDatabase(std::string name, DbConfig config, int workers);
  ~PgDatabase() override;
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  /// Stops the workers: queued calls are dropped (their callbacks never run), calls in
  /// progress finish and call back before this returns. Call it while everything those
  /// callbacks touch is still alive. Idempotent; the destructor calls it too.
  void stop();

  void query(SqlQuery query, Callback<nlohmann::json> done) override;
  void apply(std::vector<Transaction> transactions, Callback<ApplyResult> done) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsdb
