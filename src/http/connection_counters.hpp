#pragma once

#include <atomic>
#include <cstdint>

namespace opsdb::http {

/// The counters behind ServerStats, shared by the server and its sessions (which update them
/// from their strands, hence atomics).
struct ConnectionCounters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> header_timeouts{0};
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> body_timeouts{0};
  std::atomic<std::uint64_t> refused_websockets{0};
};

}  // namespace opsdb::http
