#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "opsdb/astro/visibility.hpp"
#include "opsdb/core/clock.hpp"

namespace opsdb {

/// What a computed night depends on besides the site (one cache serves one site): the source's
/// coordinates, so a source whose coordinates change misses, the night and the step.
struct NightKey {
  SkyPosition source{};
  std::chrono::sys_days date{};
  int step_minutes = 0;

  bool operator==(const NightKey& other) const {
    return source.ra_deg == other.source.ra_deg && source.dec_deg == other.source.dec_deg &&
           date == other.date && step_minutes == other.step_minutes;
  }
};

/// Computed nights kept in memory, least recently used evicted first. Bounded twice: by the
/// number of nights, and by samples, at most as many as that number of nights at the default
/// step holds, so that nights at a fine step cannot take more memory than the bound promises
/// (about 4 KB a night at the default step). An entry is forgotten `ttl` after it was computed:
/// the computation is deterministic, the TTL only bounds how long a night computed by an
/// earlier version of the code or site is served. Safe to use from any thread.
class VisibilityCache {
 public:
  struct Options {
    std::size_t max_nights = 4096;
    std::chrono::milliseconds ttl{std::chrono::hours(24)};
  };
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t nights = 0;
    std::size_t samples = 0;
  };

  VisibilityCache(Options options, const Clock& clock);

  /// The night under `key` if it is kept and fresh (counted as a hit), else null (a miss).
  std::shared_ptr<const NightVisibility> find(const NightKey& key);
  /// Keeps `night` under `key`, replacing what was there, evicting the least recently used.
  void insert(const NightKey& key, std::shared_ptr<const NightVisibility> night);
  Stats stats() const;

 private:
  struct Entry {
    NightKey key;
    std::shared_ptr<const NightVisibility> night;
    Clock::time_point expires;
  };
  struct KeyHash {
    std::size_t operator()(const NightKey& key) const;
  };
  using Order = std::list<Entry>;  // most recently used first

  void erase(Order::iterator entry);

  const Options options_;
  const std::size_t max_samples_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  Order order_;
  std::unordered_map<NightKey, Order::iterator, KeyHash> index_;
  std::size_t samples_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace opsdb
