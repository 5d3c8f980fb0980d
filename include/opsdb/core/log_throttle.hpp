#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace opsdb {

/// Lets a log line that repeats with every request through at most once per `interval`, so an
/// outage (Redis down, Redis full) writes a few lines a minute instead of one per write, and
/// says how many it held back. Thread-safe.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration interval = std::chrono::seconds{10})
      : interval_(interval) {}

  /// None when the line is to be held back; else the number of lines held back since the last
  /// one let through.
  std::optional<std::uint64_t> allow(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    std::lock_guard lock(mutex_);
    if (logged_ && now - *logged_ < interval_) {
      ++held_back_;
      return std::nullopt;
    }
    logged_ = now;
    const auto held = held_back_;
    held_back_ = 0;
    return held;
  }

 private:
  const std::chrono::steady_clock::duration interval_;
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> logged_;
  std::uint64_t held_back_ = 0;
};

}  // namespace opsdb
