#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

#include "opsdb/core/clock.hpp"

namespace opsdb {

/// Keeps a background loop (the drain, the LSN tracker) alive and honest. Every step of the
/// loop — each callback that continues it — runs through `guard`: a step that throws is logged
/// with the loop's name, counted, and handed to `recover` (which reschedules the loop) instead
/// of ending the loop silently. A loop that finishes no step for `stall_timeout` is stalled.
///
/// Convention the loops keep: scheduling the next step is the last thing a step does, so a step
/// that throws has not scheduled one yet and `recover` never starts a second loop.
class LoopSupervisor {
 public:
  LoopSupervisor(std::string loop_name, const Clock& clock, std::chrono::milliseconds stall_timeout)
      : name_(std::move(loop_name)), clock_(clock), stall_timeout_(stall_timeout) {
    progress();
  }

  /// `step` wrapped: runs it with whatever arguments the caller passes; on an exception logs,
  /// counts and calls `recover()`.
  template <typename Step, typename Recover>
  auto guard(Step step, Recover recover) {
    return [this, step = std::move(step), recover = std::move(recover)](auto&&... args) mutable {
      try {
        step(std::forward<decltype(args)>(args)...);
        progress();
        return;
      } catch (const std::exception& e) {
        failed(e.what());
      } catch (...) {
        failed("an exception that is not a std::exception");
      }
      recover();
    };
  }

  /// A step finished (any outcome).
  void progress() {
    std::lock_guard lock(mutex_);
    last_step_ = clock_.now();
  }

  /// No step finished within the stall timeout.
  bool stalled() const {
    std::lock_guard lock(mutex_);
    return clock_.now() - last_step_ > stall_timeout_;
  }

  /// Steps that threw so far.
  std::uint64_t errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
  }

 private:
  void failed(const char* what) {
    {
      std::lock_guard lock(mutex_);
      ++errors_;
      last_step_ = clock_.now();
    }
    spdlog::error("{} step failed: {}; the loop goes on", name_, what);
  }

  const std::string name_;
  const Clock& clock_;
  const std::chrono::milliseconds stall_timeout_;
  mutable std::mutex mutex_;
  Clock::time_point last_step_{};
  std::uint64_t errors_ = 0;
};

}  // namespace opsdb
