#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/status/site_status.hpp"

namespace opsdb {

/// How the alerts decide (DESIGN §9).
struct AlertOptions {
  HealthThresholds thresholds;
  /// A condition must hold this long before its alert fires, and be gone this long before the
  /// alert clears (ALERT_HOLD), so a link that flaps does not flood the log.
  std::chrono::milliseconds hold{5'000};
  /// A threshold alert clears only once its value is at or below this share of the threshold,
  /// so a value hovering at the threshold does not flap.
  double clear_ratio = 0.9;
};

/// One alert firing or clearing.
struct AlertEvent {
  std::string alert;  // stable name: "buffer_size", "redis_unreachable", ...
  bool firing = false;
  bool critical = false;  // the site cannot do its job: logged as an error, else a warning
  std::string message;    // what happened and what it means, for people
  std::optional<double> value;
  std::optional<double> threshold;
};

/// Turns successive snapshots of a site into alert events: each alert fires once when its
/// condition starts and clears once when it ends. Conditions: buffer above ALERT_BUFFER_SIZE,
/// Redis memory above kRedisMemoryAlertRatio of its maxmemory, failed transactions waiting,
/// replication lag above ALERT_REPLICATION_LAG, processor stopped or stalled, main database, Redis
/// or local database unreachable. Not thread-safe.
class AlertMonitor {
 public:
  explicit AlertMonitor(AlertOptions options) : options_(options) {}

  /// The events the snapshot taken at `now` causes; most calls cause none.
  std::vector<AlertEvent> observe(const SiteSnapshot& site,
                                  std::chrono::system_clock::time_point now);

  /// Names of the alerts firing now.
  std::vector<std::string> firing() const;

  enum class Condition { holds, gone, unchanged };

 private:
  struct State {
    bool firing = false;
    std::optional<std::chrono::system_clock::time_point> changing_since;
  };
  struct Reading;

  std::optional<AlertEvent> step(const Reading& reading, std::chrono::system_clock::time_point now);

  AlertOptions options_;
  std::vector<std::pair<std::string, State>> states_;
};

}  // namespace opsdb
