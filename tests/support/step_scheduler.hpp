#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <utility>

#include "opsdb/core/clock.hpp"
#include "opsdb/processor/scheduler.hpp"

namespace opsdb::test {

/// Runs scheduled work only when the test says so, advancing a manual clock: background loops
/// tested step by step with no real waiting.
class StepScheduler final : public Scheduler {
 public:
  using milliseconds = std::chrono::milliseconds;

  explicit StepScheduler(ManualClock& clock) : clock_(clock) {}
  void after(milliseconds delay, std::function<void()> work) override {
    if (run_immediate_work && delay.count() == 0) return work();
    pending_.push_back({delay, std::move(work)});
  }
  /// Runs zero-delay work at once, inside the call that scheduled it: what a second event-loop
  /// thread may do while the first is still in that call.
  bool run_immediate_work = false;
  /// Runs the next scheduled item, advancing the clock by its delay; returns that delay.
  milliseconds step() {
    EXPECT_FALSE(pending_.empty()) << "nothing scheduled";
    if (pending_.empty()) return milliseconds(-1);
    auto [delay, work] = std::move(pending_.front());
    pending_.pop_front();
    clock_.advance(delay);
    work();
    return delay;
  }
  /// Runs every scheduled item, including what they schedule, up to `limit` items; true when
  /// nothing is left. What a stopped loop left scheduled refers to the loop: it must run (and
  /// find the loop stopped) before the loop is destroyed.
  bool run_until_idle(int limit = 1000) {
    while (!pending_.empty() && limit-- > 0) step();
    return pending_.empty();
  }
  /// Runs items until one with a non-zero delay is next; returns that delay.
  milliseconds run_until_wait() {
    while (!pending_.empty() && pending_.front().first.count() == 0) step();
    return pending_.empty() ? milliseconds(-1) : pending_.front().first;
  }

 private:
  ManualClock& clock_;
  std::deque<std::pair<milliseconds, std::function<void()>>> pending_;
};

}  // namespace opsdb::test
