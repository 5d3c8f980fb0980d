#include "opsdb/processor/lsn_tracker.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/core/lsn.hpp"
#include "opsdb/core/timestamp.hpp"

namespace opsdb {
namespace {

constexpr std::size_t kCleanBatch = 1000;
// While replication is stalled the replica is asked less often.
constexpr auto kStalledInterval = std::chrono::seconds(5);

}  // namespace

LsnTracker::LsnTracker(const Config& config, TransactionBuffer& buffer, Database& replica,
                       Scheduler& scheduler, const Clock& clock)
    : config_(config), buffer_(buffer), replica_(replica), scheduler_(scheduler), clock_(clock) {}

void LsnTracker::start() {
  next(std::chrono::milliseconds(0));
}

void LsnTracker::stop() {
  stopped_ = true;
}

void LsnTracker::next(std::chrono::milliseconds delay) {
  if (stopped_) return;
  scheduler_.after(delay, [this] { tick(); });
}

void LsnTracker::tick() {
  buffer_.oldest_awaiting([this](auto oldest, std::string error) {
    if (!error.empty() || !oldest) {
      if (stalled_) spdlog::info("replication caught up: nothing awaits replication");
      stalled_ = false;
      return next(config_.lsn_check_interval);
    }
    poll_replica(oldest->first, oldest->second);
  });
}

void LsnTracker::poll_replica(std::uint64_t oldest_lsn, const std::string& applied_at) {
  replica_.query(
      {"SELECT to_jsonb(pg_last_wal_replay_lsn()::text)::text", {}},
      [this, oldest_lsn, applied_at](Result<nlohmann::json> r) {
        // Back onto the event loop before touching loop state.
        scheduler_.after(std::chrono::milliseconds(0), [this, oldest_lsn, applied_at, r] {
          std::optional<std::uint64_t> replay;
          if (r.ok() && !r->empty() && (*r)[0].is_string()) {
            std::lock_guard lock(mutex_);
            replica_lsn_ = (*r)[0].get<std::string>();
            if (auto lsn = Lsn::parse(replica_lsn_)) replay = lsn->value();
          }
          if (replay && *replay >= oldest_lsn) {
            if (stalled_) spdlog::info("replication resumed: replica replayed {}", replica_lsn_);
            stalled_ = false;
            {
              std::lock_guard lock(mutex_);
              reported_stalled_ = false;
            }
            return buffer_.awaiting_up_to(
                *replay, kCleanBatch, [this](std::vector<std::string> ids, std::string error) {
                  if (!error.empty() || ids.empty()) return next(config_.lsn_check_interval);
                  buffer_.mark_replicated(std::move(ids), [this](std::string e) {
                    next(e.empty() ? std::chrono::milliseconds(0) : config_.lsn_check_interval);
                  });
                });
          }
          auto applied = parse_timestamp(applied_at);
          const bool timed_out = applied && clock_.now() - *applied > config_.lsn_timeout;
          if (timed_out && !stalled_) {
            spdlog::warn(
                "transactions applied at {} have not reached the replica after {} s "
                "(replica at {}); keeping their caches and polling less often",
                applied_at, config_.lsn_timeout.count() / 1000,
                r.ok() ? replica_lsn_ : "unreachable: " + r.error().message);
            stalled_ = true;
            std::lock_guard lock(mutex_);
            reported_stalled_ = true;
          }
          next(stalled_ ? std::max<std::chrono::milliseconds>(config_.lsn_check_interval,
                                                              kStalledInterval)
                        : config_.lsn_check_interval);
        });
      });
}

nlohmann::json LsnTracker::status() const {
  std::lock_guard lock(mutex_);
  return {{"replica_lsn",
           replica_lsn_.empty() ? nlohmann::json(nullptr) : nlohmann::json(replica_lsn_)},
          {"stalled", reported_stalled_}};
}

}  // namespace opsdb
