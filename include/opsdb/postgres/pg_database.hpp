#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "opsdb/config/config.hpp"
#include "opsdb/postgres/database.hpp"

namespace opsdb {

/// How many calls may wait for a worker of a PgDatabase, and for how long.
struct PgQueueOptions {
  /// Calls waiting for a worker (not counting those running); one more fails at once.
  std::size_t limit = 256;
  /// A call that has not started this long after it was made fails without running (it is
  /// never longer than the call deadline, which also counts from the moment of the call).
  std::chrono::milliseconds wait{5'000};
};

/// What the queue of a PgDatabase has refused so far, and what waits now.
struct PgQueueStats {
  std::size_t queued = 0;            // calls waiting for a worker now
  std::uint64_t refused_full = 0;    // calls refused because the queue was full
  std::uint64_t expired_queued = 0;  // calls that waited past their start deadline
};

/// PostgreSQL behind a pool of worker threads, one libpqxx connection each (libpq blocks, so it
/// never runs on an io_context thread). Connections are opened lazily and re-opened after a
/// failure. Every call has a deadline: libpq's connect_timeout, TCP keepalives and
/// tcp_user_timeout, the server's statement_timeout, and a watchdog that shuts the socket of a
/// call still running `statement_timeout + connect_timeout` after it started, which is what
/// frees a worker stuck on a hung (e.g. stopped) server.
///
/// The deadline of a call starts when it is made, not when a worker picks it up: calls wait in a
/// bounded queue, a call made while the queue is full fails at once, and a call still waiting
/// after `PgQueueOptions::wait` fails without running; both with Fault::unavailable and the code
/// "busy". Those failures are reported on the pool's own watchdog thread, never inside the call.
class PgDatabase final : public Database {
 public:
  /// `name` appears in logs ("main", "replica"); `workers` is the number of connections.
  PgDatabase(std::string name, DbConfig config, int workers, PgQueueOptions queue = {});
  ~PgDatabase() override;
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  /// Stops the workers: queued calls are dropped (their callbacks never run), calls in
  /// progress finish and call back before this returns. Call it while everything those
  /// callbacks touch is still alive. Idempotent; the destructor calls it too.
  void stop();

  /// The queue's counters now; safe from any thread.
  PgQueueStats queue_stats() const;

  void query(SqlQuery query, Callback<nlohmann::json> done) override;
  void apply(std::vector<Transaction> transactions, Callback<ApplyResult> done) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsdb
