#include "wait.hpp"

#include <thread>

namespace opsdb::test {

::testing::AssertionResult wait_until(const std::function<bool()>& predicate,
                                      std::chrono::milliseconds deadline, std::string_view what,
                                      std::chrono::milliseconds poll) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(poll);
  }
  if (predicate()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "timed out after " << deadline.count() << " ms waiting for " << what;
}

}  // namespace opsdb::test
