#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace opsdb {

/// How much memory the buffer's Redis uses and may use (its `INFO memory` section).
struct RedisMemory {
  std::uint64_t used_bytes = 0;  ///< used_memory
  std::uint64_t max_bytes = 0;   ///< maxmemory; 0 = no limit

  /// used / max; none when Redis has no limit.
  std::optional<double> share_of_limit() const;
};

/// Share of Redis's maxmemory above which /health is degraded and the `redis_memory` alert fires.
/// At the limit Redis refuses every write (maxmemory-policy noeviction) and the site refuses
/// writes with 503 `buffer_full`; the last 20 % are the operator's time to act (bring the main
/// database back, raise the limit) before that. Fixed for now; a configuration key may replace it.
inline constexpr double kRedisMemoryAlertRatio = 0.8;

/// "1741 MB of maxmemory 2048 MB (85 %)", or "1741 MB (no maxmemory)", for people.
std::string describe(const RedisMemory& memory);

/// The figures of the text Redis answers to `INFO memory` ("used_memory:123\r\n..."); none when
/// `used_memory` is missing. A missing `maxmemory` counts as no limit.
std::optional<RedisMemory> redis_memory_from_info(std::string_view info);

}  // namespace opsdb
