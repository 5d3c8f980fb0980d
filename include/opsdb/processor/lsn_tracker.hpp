#pragma once

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "opsdb/buffer/transaction_buffer.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/db/database.hpp"
#include "opsdb/processor/scheduler.hpp"

namespace opsdb {

/// Knows precisely when applied transactions have reached the local replica (DESIGN §7): polls
/// the replica's replay LSN every LSN_CHECK_INTERVAL while transactions await replication, marks
/// every transaction whose commit LSN is at or below it "replicated" and removes its caches.
/// After LSN_TIMEOUT without progress it warns once, keeps the caches and polls less often.
class LsnTracker {
 public:
  LsnTracker(const Config& config, TransactionBuffer& buffer, Database& replica,
             Scheduler& scheduler, const Clock& clock);

  void start();
  void stop();

  /// {"replica_lsn", "stalled"} for health.
  nlohmann::json status() const;

 private:
  void tick();
  void poll_replica(std::uint64_t oldest_lsn, const std::string& applied_at);
  void next(std::chrono::milliseconds delay);

  const Config& config_;
  TransactionBuffer& buffer_;
  Database& replica_;
  Scheduler& scheduler_;
  const Clock& clock_;
  std::atomic<bool> stopped_{false};
  bool stalled_ = false;  // loop-only

  mutable std::mutex mutex_;
  std::string replica_lsn_;
  bool reported_stalled_ = false;
};

}  // namespace opsdb
