#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "opsdb/core/clock.hpp"

namespace opsdb::auth {

/// Logs refused credentials at most once per `interval` per client address, with the number of
/// refusals not logged since, so a client retrying with a bad token cannot flood the log.
/// Thread-safe.
class FailureLog {
 public:
  explicit FailureLog(const Clock& clock, std::chrono::seconds interval = std::chrono::seconds{60},
                      std::size_t max_addresses = 4096);

  /// Notes a refusal; returns true when it was logged.
  bool note(std::string_view remote_address, std::string_view reason);

 private:
  struct Address {
    std::chrono::system_clock::time_point logged_at{};
    std::uint64_t suppressed = 0;
  };

  const Clock& clock_;
  std::chrono::seconds interval_;
  std::size_t max_addresses_;
  std::mutex mutex_;
  std::unordered_map<std::string, Address> addresses_;
};

}  // namespace opsdb::auth
