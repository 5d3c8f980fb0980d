#include "opsdb/api/health_monitor.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/core/timestamp.hpp"

namespace opsdb {

void HealthMonitor::probe() {
  if (probing_.exchange(true)) return;  // the previous probe is still waiting for its deadline
  db_.query({"SELECT to_jsonb(1)::text", {}}, [this](Result<nlohmann::json> result) {
    record(result.ok(), result.ok() ? "" : result.error().message);
    probing_ = false;
  });
}

void HealthMonitor::record(bool reachable, const std::string& error) {
  std::lock_guard lock(mutex_);
  if (!known_ || reachable != reachable_) {
    if (reachable) {
      spdlog::info("health: database reachable");
    } else {
      spdlog::error("health: database unreachable: {}", error.substr(0, error.find('\n')));
    }
  }
  known_ = true;
  reachable_ = reachable;
  last_error_ = error;
  last_probe_ = std::chrono::system_clock::now();
}

std::pair<int, nlohmann::json> HealthMonitor::report() const {
  std::lock_guard lock(mutex_);
  const char* database = !known_ ? "unknown" : (reachable_ ? "connected" : "unreachable");
  // At the main site the database is the local database: without it nothing works.
  const bool unhealthy = known_ && !reachable_;
  nlohmann::json doc = {{"status", unhealthy ? "unhealthy" : "healthy"},
                        {"site", config_.site_name},
                        {"site_type", to_string(config_.site_type)},
                        {"database", database},
                        {"last_check", known_ ? nlohmann::json(format_timestamp(last_probe_))
                                              : nlohmann::json(nullptr)}};
  return {unhealthy ? 503 : 200, std::move(doc)};
}

}  // namespace opsdb
