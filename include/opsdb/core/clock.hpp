#pragma once

#include <chrono>

namespace opsdb {

/// Wall-clock time source, injectable so tests of timestamps, backoff and timeouts never sleep.
class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

/// The real clock.
class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
};

/// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(time_point start = time_point{std::chrono::seconds{1'800'000'000}})
      : now_(start) {}
  time_point now() const override { return now_; }
  void advance(std::chrono::microseconds by) { now_ += by; }

 private:
  time_point now_;
};

}  // namespace opsdb
