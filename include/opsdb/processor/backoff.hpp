#pragma once

#include <chrono>

namespace opsdb {

/// Exponential backoff: `first` for the first failure, doubling per further failure, never more
/// than `max`. `failures` counts consecutive failures (1 = the first).
inline std::chrono::milliseconds backoff_delay(int failures, std::chrono::milliseconds first,
                                               std::chrono::milliseconds max) {
  if (failures <= 1) return std::min(first, max);
  auto delay = first;
  for (int i = 1; i < failures && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

}  // namespace opsdb
