#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string_view>

namespace opsdb::test {

/// Polls `predicate` every `poll` until it holds or `deadline` has passed. Success when it held;
/// otherwise a failure that names `what` was awaited and for how long, for ASSERT_TRUE /
/// EXPECT_TRUE. Never waits longer than `deadline` plus one poll and one evaluation.
::testing::AssertionResult wait_until(
    const std::function<bool()>& predicate, std::chrono::milliseconds deadline,
    std::string_view what, std::chrono::milliseconds poll = std::chrono::milliseconds(20));

}  // namespace opsdb::test
