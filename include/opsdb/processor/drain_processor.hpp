#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/config/config.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/db/database.hpp"
#include "opsdb/processor/drain_queue.hpp"
#include "opsdb/processor/scheduler.hpp"

namespace opsdb {

/// The background processor of a secondary site (DESIGN §6): holds the single-drainer lease,
/// peeks the oldest batch, applies it to the main database in one round trip, marks what was
/// applied with the commit LSN and removes exactly that from the buffer. Strict order.
///
/// Connectivity failures pause the drain with capped exponential backoff and count against no
/// transaction. A data failure keeps the transactions before it; the failing one is retried
/// alone with backoff and, after TRANSACTION_RETRY_ATTEMPTS, moved to the dead-letter queue.
class DrainProcessor {
 public:
  DrainProcessor(const Config& config, DrainQueue& queue, Database& main_db, Scheduler& scheduler,
                 const Clock& clock);

  /// Starts the loop (on the scheduler). Call once.
  void start();
  /// No new iteration starts after this; one in flight finishes.
  void stop();

  /// The `background_processor` section of /health and the drain figures of /buffer-stats.
  nlohmann::json status() const;
  bool running() const { return started_ && !stopped_; }

 private:
  void tick();
  void drain(std::vector<std::string> docs);
  void prefetch(std::size_t in_flight);
  std::optional<std::vector<std::string>> take_prefetched();
  void drop_prefetched();
  void run_batch(std::vector<std::string> docs, std::vector<Transaction> txs);
  void on_result(std::vector<std::string> docs, std::vector<Transaction> txs,
                 Result<ApplyResult> result, std::chrono::steady_clock::duration took);
  void on_failure(const std::string& doc, const std::string& id, const std::string& error);
  void dead_letter_garbage(const std::string& doc, const std::string& error);
  void next(std::chrono::milliseconds delay);
  void set_state(const char* state, const std::string& error = {});
  void record_applied(std::size_t count, std::chrono::steady_clock::duration took);

  const Config& config_;
  DrainQueue& queue_;
  Database& main_db_;
  Scheduler& scheduler_;
  const Clock& clock_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};

  // Only touched by the loop, which runs one step at a time.
  int connectivity_failures_ = 0;
  std::string failing_id_;  // the oldest transaction, after a data error, awaiting its retry
  Clock::time_point retry_at_{};
  bool redis_failing_ = false;

  // The batch behind the one being applied, read ahead (its reply arrives on a Redis thread).
  std::mutex prefetch_mutex_;
  std::uint64_t prefetch_generation_ = 0;
  std::optional<std::vector<std::string>> prefetched_;

  mutable std::mutex mutex_;  // guards what status() reads
  std::string state_ = "starting";
  std::string last_error_;
  std::optional<Clock::time_point> last_run_;
  std::uint64_t processed_ = 0;
  std::uint64_t failed_attempts_ = 0;
  std::uint64_t dead_lettered_ = 0;
  double avg_tx_ms_ = 0;
  std::deque<std::pair<Clock::time_point, std::size_t>> recent_;  // applied counts, last minute
};

}  // namespace opsdb
