#pragma once

#include <chrono>
#include <functional>

namespace opsdb {

/// Runs work later on the application's event loop. The drain and the LSN tracker are written
/// against this, so tests can run them step by step with no real waiting.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  /// Runs `work` on the event loop after `delay` (0 = as soon as possible).
  virtual void after(std::chrono::milliseconds delay, std::function<void()> work) = 0;
};

}  // namespace opsdb
