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
  if (!site.buffer) fail("redis unreachable");
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
  if (site.buffer && site.buffer->failed > 0) degrade("failed transactions await an operator");
  if (site.processor && site.processor->state == DrainState::waiting_for_main_db) {
    degrade("main database unreachable");
  }
  if (site.processor && site.processor->state == DrainState::refused_by_main_db) {
    degrade("main database refuses the drain: " + site.processor->last_error);
  }
  if (site.replication && site.replication->stalled) degrade("replication stalled");

  verdict.level = unhealthy  ? HealthLevel::unhealthy
                  : degraded ? HealthLevel::degraded
                             : HealthLevel::healthy;
  return verdict;
}

}  // namespace opsdb
