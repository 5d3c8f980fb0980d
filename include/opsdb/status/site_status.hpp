#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "opsdb/core/lsn.hpp"
#include "opsdb/status/redis_memory.hpp"
#include "opsdb/tx/write_journal.hpp"

namespace opsdb {

/// What the drain is doing right now.
enum class DrainState {
  starting,             // started, first pass not yet run
  running,              // applying batches
  idle,                 // nothing to drain
  standby,              // another process of this site holds the drain lease
  retrying,             // a rejected transaction waits for its next attempt
  waiting_for_main_db,  // the main database is unreachable: paused with backoff
  refused_by_main_db,   // the main database answers but refuses writes for a reason of its own
                        // (read-only, privileges, missing objects): paused with backoff
  waiting_for_redis,    // the buffer is unreachable: paused
  stalled,              // no step finished for the stall timeout: the loop is stuck
  stopped,              // stopped (shutdown)
};

/// Stable lower-case name ("waiting_for_main_db", ...): the `status` of /health's processor.
std::string_view to_string(DrainState state);

/// The drain's counters and state at one moment.
struct ProcessorSnapshot {
  DrainState state = DrainState::starting;
  bool running = false;  // started and not stopped
  std::optional<std::chrono::system_clock::time_point> last_run;
  std::uint64_t transactions_processed = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t dead_lettered = 0;
  double success_rate = 1.0;   // processed / (processed + failed attempts)
  double processing_rate = 0;  // transactions per second over the last minute
  double average_execution_time_ms = 0;
  std::string last_error;              // empty when none
  std::uint64_t step_errors = 0;       // steps that failed with an exception (then recovered)
  std::size_t batch_limit = 0;         // transactions per batch now (shrinks after failures)
  std::optional<Lsn> last_commit_lsn;  // where the main database was after the last batch
};

/// The buffer's figures at one moment.
struct BufferStats {
  std::int64_t pending = 0;
  std::int64_t failed = 0;
  std::int64_t awaiting_replication = 0;
  std::optional<double> oldest_pending_seconds;  // none when nothing is pending
  double size_mb = 0;
  /// Redis's memory as a whole (the buffer, its caches, other sites' keys): none when not asked.
  std::optional<RedisMemory> memory;
};

/// What the LSN tracker knows of the local replica.
struct ReplicationStatus {
  std::optional<Lsn> replica_lsn;  // last replay position seen
  /// The oldest applied transaction the replica has not replayed yet, as last seen: its commit
  /// position and when it was applied. None when nothing awaits replication.
  std::optional<Lsn> oldest_awaiting_lsn;
  std::optional<std::chrono::system_clock::time_point> oldest_awaiting_since;
  bool stalled = false;           // applied writes have not replicated within LSN_TIMEOUT
  bool loop_stalled = false;      // the tracker's own loop finished no step for too long
  std::uint64_t step_errors = 0;  // steps that failed with an exception (then recovered)
};

/// Reachability of a database, from periodic probes.
struct DatabaseStatus {
  enum class State { unknown, reachable, unreachable };
  State state = State::unknown;
  std::optional<std::chrono::system_clock::time_point> last_check;
  std::string last_error;
};

/// How far the local replica is behind the writes this site applied on the main database.
struct ReplicationLag {
  double seconds = 0;                  // age of the oldest applied write not yet replayed
  std::optional<Lsn> main_lsn;         // the main database's position after our last write
  std::optional<Lsn> replica_lsn;      // the replica's last replay position seen
  std::optional<std::uint64_t> bytes;  // main_lsn - replica_lsn (0 when caught up)
};

/// The lag from what the drain and the LSN tracker last saw; `now` ages the oldest write.
ReplicationLag replication_lag(const ProcessorSnapshot& processor,
                               const ReplicationStatus& replication,
                               std::chrono::system_clock::time_point now);

/// Everything /health decides on, gathered from the last known state of each part.
struct SiteSnapshot {
  bool secondary = false;
  DatabaseStatus local_db;
  /// Secondary site only. `buffer` is empty when Redis could not be asked (or not yet).
  DatabaseStatus::State redis = DatabaseStatus::State::unknown;
  std::optional<BufferStats> buffer;
  std::optional<ProcessorSnapshot> processor;
  std::optional<ReplicationStatus> replication;  // empty when LSN tracking is off
  std::optional<ReplicationLag> lag;             // with `replication`
  std::optional<JournalStats> journal;           // writes journaled while Redis was away
};

/// Whether the main database takes the drain's writes: known only from what the drain last
/// did. None at the main site, and while the drain has no verdict (starting, standby).
std::optional<bool> main_database_reachable(const SiteSnapshot& site);

struct HealthThresholds {
  std::int64_t buffer_size = 1000;            // ALERT_BUFFER_SIZE
  std::chrono::seconds replication_lag{300};  // ALERT_REPLICATION_LAG
};

enum class HealthLevel { healthy, degraded, unhealthy };

std::string_view to_string(HealthLevel level);

/// The verdict on a site, with every problem named in words an operator can act on.
struct HealthVerdict {
  HealthLevel level = HealthLevel::healthy;
  std::vector<std::string> problems;
};

/// The site as last sampled, with the verdict on it: what /health, /metrics and the alerts read.
struct SiteReport {
  SiteSnapshot site;
  HealthVerdict verdict;
  std::chrono::system_clock::time_point sampled_at{};
  std::vector<std::string> alerts;  // names of the alerts firing
};

/// The health rules of DESIGN §9, in one place. Unhealthy: the local database is unreachable,
/// or at a secondary site Redis is unreachable or the processor stopped. Degraded: the buffer is
/// above its threshold, Redis uses more than kRedisMemoryAlertRatio of its maxmemory, anything
/// failed, the main database is unreachable or refuses the drain, or replication lags more than
/// its threshold.
HealthVerdict assess_health(const SiteSnapshot& site, const HealthThresholds& thresholds);

}  // namespace opsdb
