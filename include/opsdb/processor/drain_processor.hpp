#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/clock.hpp"
#include "opsdb/processor/drain_queue.hpp"
#include "opsdb/processor/loop_supervisor.hpp"
#include "opsdb/processor/scheduler.hpp"
#include "opsdb/status/site_status.hpp"
#include "opsdb/tx/transaction_applier.hpp"

namespace opsdb {

/// How the drain paces itself (DESIGN §6, §10).
struct DrainOptions {
  int batch_size = 500;                          // DRAIN_BATCH_SIZE
  int retry_attempts = 3;                        // TRANSACTION_RETRY_ATTEMPTS
  std::chrono::milliseconds retry_delay{5'000};  // TRANSACTION_RETRY_DELAY: first backoff
  std::chrono::milliseconds max_delay{300'000};  // RETRY_MAX_DELAY: backoff cap
  std::chrono::milliseconds interval{1'000};     // BACKGROUND_PROCESSING_INTERVAL
  std::size_t batch_bytes = 16 * 1024 * 1024;    // DRAIN_BATCH_BYTES: documents per batch
  /// A batch that took longer than this halves the next one (0: no bound by time).
  std::chrono::milliseconds slow_batch{0};
  /// No finished step for this long makes the loop "stalled" (DRAIN_STALL_TIMEOUT).
  std::chrono::milliseconds stall_timeout{60'000};
  int test_throws = 0;  // DRAIN_TEST_FAULT: the first N steps throw (tests only)
};

/// The background processor of a secondary site (DESIGN §6): holds the single-drainer lease,
/// peeks the oldest batch, applies it to the main database in one round trip, marks what was
/// applied with the commit LSN and removes exactly that from the buffer. Strict order.
///
/// A rejected transaction (Fault::rejected) keeps the transactions before it; it is retried
/// alone with backoff and, after `retry_attempts`, moved to the dead-letter queue. Every other
/// failure (unreachable, outcome unknown, read-only, missing privileges, ...) pauses the drain
/// with capped exponential backoff and counts against no transaction.
///
/// A batch the database refuses as a whole without naming a transaction (a value it cannot even
/// parse), or that timed out, is split in halves, in order, until the transaction at fault
/// stands alone; batches are bounded by bytes and shrink after a slow call, growing back after
/// calls that succeed. Every step is guarded: an exception is logged and counted and the loop
/// goes on; a loop that finishes no step for `stall_timeout` reports itself stalled.
class DrainProcessor {
 public:
  DrainProcessor(DrainOptions options, DrainQueue& queue, TransactionApplier& main_db,
                 Scheduler& scheduler, const Clock& clock);

  /// Starts the loop (on the scheduler). Call once.
  void start();
  /// No new iteration starts after this; one in flight finishes.
  void stop();

  /// Called after every batch the main database committed, with its size and how long the call
  /// took, on the drain's thread. Set before start().
  using BatchObserver = std::function<void(std::size_t, std::chrono::steady_clock::duration)>;
  void observe_batches(BatchObserver observer) { batch_observer_ = std::move(observer); }

  /// The drain's state and counters now.
  ProcessorSnapshot snapshot() const;
  bool running() const { return started_ && !stopped_; }

 private:
  template <typename Step>
  auto guarded(Step step);
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
  void split(const Error& error, std::size_t size);
  void adapt_batch_limit(std::chrono::steady_clock::duration took, std::size_t size, bool failed);
  void pause_for_main_db(const Error& error, std::size_t pending);
  void wait_for_redis(const Error& error);
  void next(std::chrono::milliseconds delay);
  void set_state(DrainState state, const std::string& error = {});
  void record_applied(std::size_t count, std::chrono::steady_clock::duration took, Lsn lsn);

  const DrainOptions options_;
  DrainQueue& queue_;
  TransactionApplier& main_db_;
  Scheduler& scheduler_;
  const Clock& clock_;
  LoopSupervisor supervisor_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};

  // Only touched by the loop, which runs one step at a time.
  int connectivity_failures_ = 0;
  std::string failing_id_;  // the oldest transaction, after a rejection, awaiting its retry
  Clock::time_point retry_at_{};
  bool redis_failing_ = false;
  // Transactions per batch now: shrinks after failures, grows back (read by snapshot()).
  std::atomic<std::size_t> batch_limit_;
  int throws_left_;
  BatchObserver batch_observer_;

  // The batch behind the one being applied, read ahead (its reply arrives on a Redis thread).
  std::mutex prefetch_mutex_;
  std::uint64_t prefetch_generation_ = 0;
  std::optional<std::vector<std::string>> prefetched_;

  mutable std::mutex mutex_;  // guards what snapshot() reads
  DrainState state_ = DrainState::starting;
  std::string last_error_;
  std::optional<Clock::time_point> last_run_;
  std::uint64_t processed_ = 0;
  std::uint64_t failed_attempts_ = 0;
  std::uint64_t dead_lettered_ = 0;
  double avg_tx_ms_ = 0;
  std::optional<Lsn> last_commit_lsn_;
  std::deque<std::pair<Clock::time_point, std::size_t>> recent_;  // applied counts, last minute
};

}  // namespace opsdb
