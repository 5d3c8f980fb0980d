#include <optional>
#include <string>

#include "opsdb/status/site_status.hpp"

namespace opsdb {

std::string_view to_string(HealthLevel level) {
  switch (level) {
    case HealthLevel::healthy:
      return "healthy";
    case HealthLevel::degraded:
      return "degraded";
    case HealthLevel::unhealthy:
      return "unhealthy";
  }
  return "unhealthy";
}

ReplicationLag replication_lag(const ProcessorSnapshot& processor,
                               const ReplicationStatus& replication,
                               std::chrono::system_clock::time_point now) {
  ReplicationLag lag;
  lag.replica_lsn = replication.replica_lsn;
  // After a restart the drain has committed nothing yet; what it committed before still waits.
  lag.main_lsn = processor.last_commit_lsn;
  const auto& oldest = replication.oldest_awaiting_lsn;
  if (oldest && (!lag.main_lsn || *lag.main_lsn < *oldest)) lag.main_lsn = oldest;
  if (lag.main_lsn && lag.replica_lsn) {
    lag.bytes = *lag.main_lsn - *lag.replica_lsn;
  } else if (!oldest) {
    lag.bytes = 0;  // nothing of ours awaits replication
  }
  if (replication.oldest_awaiting_since && *replication.oldest_awaiting_since < now) {
    lag.seconds = std::chrono::duration<double>(now - *replication.oldest_awaiting_since).count();
  }
  return lag;
}

std::optional<bool> main_database_reachable(const SiteSnapshot& site) {
  if (!site.secondary || !site.processor) return std::nullopt;
  switch (site.processor->state) {
    case DrainState::waiting_for_main_db:
    case DrainState::refused_by_main_db:
      return false;
    case DrainState::running:
    case DrainState::idle:
    case DrainState::retrying:
      return true;
    default:
      return std::nullopt;
  }
}

HealthVerdict assess_health(const SiteSnapshot& site, const HealthThresholds& thresholds) {
  HealthVerdict verdict;
  bool unhealthy = false;
  bool degraded = false;
  auto fail = [&](const char* problem) {
    unhealthy = true;
    verdict.problems.emplace_back(problem);
  };
  auto degrade = [&](std::string problem) {
    degraded = true;
    verdict.problems.push_back(std::move(problem));
  };

  const bool local_db_down = site.local_db.state == DatabaseStatus::State::unreachable;
  if (!site.secondary) {
    // At the main site the local database is the main database: without it nothing works.
    if (local_db_down) fail("local database unreachable");
    verdict.level = unhealthy ? HealthLevel::unhealthy : HealthLevel::healthy;
    return verdict;
  }

  // Problems are listed in this order, the fatal ones first.
  const bool processor_running = site.processor && site.processor->running;
  if (site.redis == DatabaseStatus::State::unreachable) fail("redis unreachable");
  if (!processor_running) fail("background processor stopped");
  if (processor_running && site.processor->state == DrainState::stalled) {
    fail("background processor stalled: no drain step finished within the stall timeout");
  }
  if (site.replication && site.replication->loop_stalled) {
    fail("replication tracker stalled: no step finished within the stall timeout");
  }
  if (local_db_down) fail("local database unreachable");
  if (site.buffer && site.buffer->pending > thresholds.buffer_size) {
    degrade("transaction buffer above " + std::to_string(thresholds.buffer_size));
  }
  if (site.buffer && site.buffer->memory) {
    const auto share = site.buffer->memory->share_of_limit();
    if (share && *share > kRedisMemoryAlertRatio) {
      degrade("redis memory " + describe(*site.buffer->memory) +
              ": at the limit writes are refused (503 buffer_full)");
    }
  }
  if (site.journal && site.journal->pending > 0) {
    degrade(std::to_string(site.journal->pending) +
            " writes wait in the local journal to be replayed into redis");
  }
  if (site.buffer && site.buffer->failed > 0) degrade("failed transactions await an operator");
  if (site.processor && site.processor->state == DrainState::waiting_for_main_db) {
    degrade("main database unreachable");
  }
  if (site.processor && site.processor->state == DrainState::refused_by_main_db) {
    degrade("main database refuses the drain: " + site.processor->last_error);
  }
  if (site.lag && site.lag->seconds > static_cast<double>(thresholds.replication_lag.count())) {
    degrade("replication lag above " + std::to_string(thresholds.replication_lag.count()) + " s");
  }

  verdict.level = unhealthy  ? HealthLevel::unhealthy
                  : degraded ? HealthLevel::degraded
                             : HealthLevel::healthy;
  return verdict;
}

}  // namespace opsdb
