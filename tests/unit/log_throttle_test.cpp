// A log line repeated by every failing write is let through once per interval, with the count
// of the lines held back in between.
#include <gtest/gtest.h>

#include "opsdb/core/log_throttle.hpp"

namespace opsdb {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottle, LetsOneLineThroughPerIntervalAndCountsTheRest) {
  LogThrottle throttle(10s);
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  EXPECT_EQ(throttle.allow(t0), std::optional<std::uint64_t>(0)) << "the first line goes out";
  for (int i = 1; i <= 500; ++i) EXPECT_FALSE(throttle.allow(t0 + i * 10ms));
  EXPECT_EQ(throttle.allow(t0 + 10s), std::optional<std::uint64_t>(500));
  EXPECT_FALSE(throttle.allow(t0 + 11s));
  EXPECT_EQ(throttle.allow(t0 + 25s), std::optional<std::uint64_t>(1));
}

}  // namespace
}  // namespace opsdb
