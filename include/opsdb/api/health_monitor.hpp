#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "opsdb/config/config.hpp"
#include "opsdb/db/database.hpp"

namespace opsdb {

/// Knows whether the database answers, from periodic probes, so `/health` answers at once from
/// memory even while the database hangs. Logs each change of state once.
class HealthMonitor {
 public:
  HealthMonitor(const Config& config, Database& db) : config_(config), db_(db) {}

  /// Starts a probe unless one is still outstanding. Called periodically by the application.
  void probe();

  /// The `/health` document and its HTTP status (503 only when unhealthy).
  std::pair<int, nlohmann::json> report() const;

 private:
  void record(bool reachable, const std::string& error);

  const Config& config_;
  Database& db_;
  std::atomic<bool> probing_{false};
  mutable std::mutex mutex_;
  bool known_ = false;
  bool reachable_ = false;
  std::string last_error_;
  std::chrono::system_clock::time_point last_probe_{};
};

}  // namespace opsdb
