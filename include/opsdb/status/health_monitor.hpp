#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "opsdb/status/database_probe.hpp"
#include "opsdb/status/site_status.hpp"

namespace opsdb {

/// Knows whether the local database answers, from periodic probes, so `/health` answers at once
/// from memory even while the database hangs. Logs each change of state once.
class HealthMonitor {
 public:
  explicit HealthMonitor(DatabaseProbe& probe) : probe_(probe) {}

  /// Starts a probe unless one is still outstanding. Called periodically by the application.
  void probe();

  /// What the last probe found; `unknown` until one has answered.
  DatabaseStatus status() const;

 private:
  void record(bool reachable, const std::string& error);

  DatabaseProbe& probe_;
  std::atomic<bool> probing_{false};
  mutable std::mutex mutex_;
  DatabaseStatus status_;
};

}  // namespace opsdb
