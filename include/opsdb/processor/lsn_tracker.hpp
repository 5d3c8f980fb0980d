#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

#include "opsdb/core/clock.hpp"
#include "opsdb/processor/loop_supervisor.hpp"
#include "opsdb/processor/replica_progress.hpp"
#include "opsdb/processor/replication_queue.hpp"
#include "opsdb/processor/scheduler.hpp"
#include "opsdb/status/site_status.hpp"

namespace opsdb {

/// How the LSN tracker paces itself (DESIGN §7, §10).
struct LsnTrackerOptions {
  std::chrono::milliseconds check_interval{100};    // LSN_CHECK_INTERVAL
  std::chrono::milliseconds timeout{30'000};        // LSN_TIMEOUT
  std::chrono::milliseconds stall_timeout{60'000};  // DRAIN_STALL_TIMEOUT: the loop is stuck
};

/// Knows precisely when applied transactions have reached the local replica (DESIGN §7): polls
/// the replica's replay LSN every `check_interval` while transactions await replication, marks
/// every transaction whose commit LSN is at or below it replicated (which removes its caches).
/// After `timeout` without progress it warns once, keeps the caches and polls less often.
class LsnTracker {
 public:
  LsnTracker(LsnTrackerOptions options, ReplicationQueue& queue, ReplicaProgress& replica,
             Scheduler& scheduler, const Clock& clock);

  void start();
  void stop();

  /// The replica's last known position and whether replication is stalled.
  ReplicationStatus snapshot() const;

 private:
  void tick();
  void poll_replica(AwaitingReplication oldest);
  void on_replay(const AwaitingReplication& oldest, const Result<std::optional<Lsn>>& replay);
  void mark_up_to(Lsn replay);
  void next(std::chrono::milliseconds delay);
  template <typename Step>
  auto guarded(Step step);

  const LsnTrackerOptions options_;
  ReplicationQueue& queue_;
  ReplicaProgress& replica_;
  Scheduler& scheduler_;
  const Clock& clock_;
  LoopSupervisor supervisor_;
  std::atomic<bool> stopped_{false};
  bool stalled_ = false;  // loop-only

  mutable std::mutex mutex_;  // guards what snapshot() reads
  std::optional<Lsn> replica_lsn_;
  std::optional<AwaitingReplication> oldest_;  // as last read from the queue
  bool reported_stalled_ = false;
};

}  // namespace opsdb
