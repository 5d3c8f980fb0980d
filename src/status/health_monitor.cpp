#include "opsdb/status/health_monitor.hpp"

#include <spdlog/spdlog.h>

namespace opsdb {

void HealthMonitor::probe() {
  if (probing_.exchange(true)) return;  // the previous probe is still waiting for its deadline
  probe_.probe([this](Status result) {
    record(result.ok(), result.ok() ? "" : result.error().message);
    probing_ = false;
  });
}

void HealthMonitor::record(bool reachable, const std::string& error) {
  using State = DatabaseStatus::State;
  const State state = reachable ? State::reachable : State::unreachable;
  std::lock_guard lock(mutex_);
  if (status_.state != state) {
    if (reachable) {
      spdlog::info("health: database reachable");
    } else {
      spdlog::error("health: database unreachable: {}", error.substr(0, error.find('\n')));
    }
  }
  status_.state = state;
  status_.last_error = error;
  status_.last_check = std::chrono::system_clock::now();
}

DatabaseStatus HealthMonitor::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace opsdb
