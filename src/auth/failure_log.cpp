#include "opsdb/auth/failure_log.hpp"

#include <spdlog/spdlog.h>

namespace opsdb::auth {

FailureLog::FailureLog(const Clock& clock, std::chrono::seconds interval, std::size_t max_addresses)
    : clock_(clock), interval_(interval), max_addresses_(max_addresses) {}

bool FailureLog::note(std::string_view remote_address, std::string_view reason) {
  const auto now = clock_.now();
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = addresses_.find(std::string(remote_address));
    if (it != addresses_.end() && now - it->second.logged_at < interval_) {
      ++it->second.suppressed;
      return false;
    }
    // Many addresses (a scan): forget those quiet for an interval, and if that is not
    // enough, all of them; the worst case is one more log line per address.
    if (it == addresses_.end() && addresses_.size() >= max_addresses_) {
      std::erase_if(addresses_,
                    [&](const auto& a) { return now - a.second.logged_at >= interval_; });
      if (addresses_.size() >= max_addresses_) addresses_.clear();
    }
    auto& address = addresses_[std::string(remote_address)];
    suppressed = address.suppressed;
    address = Address{now, 0};
  }
  if (suppressed > 0) {
    spdlog::warn(
        "credentials refused for a request from {}: {} ({} more refused since the last "
        "report; reported at most once every {} s per address)",
        remote_address, reason, suppressed, interval_.count());
  } else {
    spdlog::warn(
        "credentials refused for a request from {}: {} (reported at most once every {} s "
        "per address)",
        remote_address, reason, interval_.count());
  }
  return true;
}

}  // namespace opsdb::auth
