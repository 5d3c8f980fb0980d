#include "opsdb/processor/lsn_tracker.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/core/timestamp.hpp"

namespace opsdb {
namespace {

constexpr std::size_t kCleanBatch = 1000;
// While replication is stalled the replica is asked less often.
constexpr auto kStalledInterval = std::chrono::seconds(5);

}  // namespace

LsnTracker::LsnTracker(LsnTrackerOptions options, ReplicationQueue& queue, ReplicaProgress& replica,
                       Scheduler& scheduler, const Clock& clock)
    : options_(options),
      queue_(queue),
      replica_(replica),
      scheduler_(scheduler),
      clock_(clock),
      supervisor_("replication tracker", clock, options.stall_timeout) {}

// One step of the loop, supervised: after an exception the loop goes on at the next interval.
template <typename Step>
auto LsnTracker::guarded(Step step) {
  return supervisor_.guard(std::move(step), [this] { next(options_.check_interval); });
}

void LsnTracker::start() {
  supervisor_.progress();
  next(std::chrono::milliseconds(0));
}

void LsnTracker::stop() {
  stopped_ = true;
}

void LsnTracker::next(std::chrono::milliseconds delay) {
  if (stopped_) return;
  scheduler_.after(delay, guarded([this] { tick(); }));
}

void LsnTracker::tick() {
  queue_.oldest(guarded([this](Result<std::optional<AwaitingReplication>> oldest) {
    if (oldest.ok()) {
      std::lock_guard lock(mutex_);
      oldest_ = *oldest;
    }
    if (!oldest.ok() || !*oldest) {
      if (stalled_) spdlog::info("replication caught up: nothing awaits replication");
      stalled_ = false;
      return next(options_.check_interval);
    }
    poll_replica(**oldest);
  }));
}

void LsnTracker::poll_replica(AwaitingReplication oldest) {
  replica_.replay_lsn([this, oldest](Result<std::optional<Lsn>> replay) {
    // The answer may come on a database thread: back onto the event loop first.
    scheduler_.after(
        std::chrono::milliseconds(0),
        guarded([this, oldest, replay = std::move(replay)] { on_replay(oldest, replay); }));
  });
}

void LsnTracker::on_replay(const AwaitingReplication& oldest,
                           const Result<std::optional<Lsn>>& replay) {
  std::optional<Lsn> position;
  if (replay.ok() && *replay) {
    position = **replay;
    std::lock_guard lock(mutex_);
    replica_lsn_ = position;
  }
  if (position && *position >= oldest.lsn) {
    if (stalled_) spdlog::info("replication resumed: replica replayed {}", position->to_string());
    stalled_ = false;
    {
      std::lock_guard lock(mutex_);
      reported_stalled_ = false;
    }
    return mark_up_to(*position);
  }
  const bool timed_out = oldest.applied_at && clock_.now() - *oldest.applied_at > options_.timeout;
  if (timed_out && !stalled_) {
    std::string replica = "unreachable: ";
    if (replay.ok()) {
      std::lock_guard lock(mutex_);
      replica = replica_lsn_ ? replica_lsn_->to_string() : "";
    } else {
      replica += replay.error().message;
    }
    spdlog::warn(
        "transactions applied at {} have not reached the replica after {} s "
        "(replica at {}); keeping their caches and polling less often",
        format_timestamp(*oldest.applied_at), options_.timeout.count() / 1000, replica);
    stalled_ = true;
    std::lock_guard lock(mutex_);
    reported_stalled_ = true;
  }
  next(stalled_ ? std::max<std::chrono::milliseconds>(options_.check_interval, kStalledInterval)
                : options_.check_interval);
}

void LsnTracker::mark_up_to(Lsn replay) {
  queue_.up_to(replay, kCleanBatch, guarded([this](Result<std::vector<std::string>> ids) {
                 if (!ids.ok() || ids->empty()) return next(options_.check_interval);
                 queue_.mark_replicated(
                     std::move(*ids), guarded([this](Result<void> marked) {
                       next(marked.ok() ? std::chrono::milliseconds(0) : options_.check_interval);
                     }));
               }));
}

ReplicationStatus LsnTracker::snapshot() const {
  std::lock_guard lock(mutex_);
  ReplicationStatus status;
  status.replica_lsn = replica_lsn_;
  if (oldest_) {
    status.oldest_awaiting_lsn = oldest_->lsn;
    status.oldest_awaiting_since = oldest_->applied_at;
  }
  status.stalled = reported_stalled_;
  status.loop_stalled = !stopped_ && supervisor_.stalled();
  status.step_errors = supervisor_.errors();
  return status;
}

}  // namespace opsdb
