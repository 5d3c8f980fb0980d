#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "opsdb/status/site_status.hpp"

namespace opsdb {

/// What the service counts and times, whatever exposes it (GET /metrics). Thread-safe: requests
/// are recorded on the HTTP threads, batches on the drain's.
class Metrics {
 public:
  virtual ~Metrics() = default;

  /// One answered request: the pattern of the route that served it (empty when none matched),
  /// its method, the status and how long it took from the end of its header.
  virtual void request_served(std::string_view route, std::string_view method, int status,
                              std::chrono::steady_clock::duration took) = 0;

  /// One batch of `transactions` the main database committed, in `took`.
  virtual void batch_applied(std::size_t transactions,
                             std::chrono::steady_clock::duration took) = 0;

  /// Everything counted so far, with the site as `report` describes it, in the exposition
  /// format of `content_type()`.
  virtual std::string render(const SiteReport& report) const = 0;
  virtual std::string_view content_type() const = 0;
};

}  // namespace opsdb
