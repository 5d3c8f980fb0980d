#include "opsdb/astro/visibility_cache.hpp"

#include <functional>

#include "opsdb/astro/visibility_request.hpp"

namespace opsdb {

std::size_t VisibilityCache::KeyHash::operator()(const NightKey& key) const {
  std::size_t h = std::hash<double>{}(key.source.ra_deg);
  const auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(std::hash<double>{}(key.source.dec_deg));
  mix(std::hash<long long>{}(key.date.time_since_epoch().count()));
  mix(std::hash<int>{}(key.step_minutes));
  return h;
}

VisibilityCache::VisibilityCache(Options options, const Clock& clock)
    : options_(options),
      max_samples_(options.max_nights *
                   static_cast<std::size_t>(samples_per_night(kDefaultVisibilityStep))),
      clock_(clock) {}

std::shared_ptr<const NightVisibility> VisibilityCache::find(const NightKey& key) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  if (it->second->expires <= now) {
    erase(it->second);
    ++misses_;
    return nullptr;
  }
  order_.splice(order_.begin(), order_, it->second);
  ++hits_;
  return it->second->night;
}

void VisibilityCache::insert(const NightKey& key, std::shared_ptr<const NightVisibility> night) {
  if (options_.max_nights == 0 || night == nullptr) return;
  const auto expires = clock_.now() + options_.ttl;
  std::lock_guard lock(mutex_);
  if (const auto it = index_.find(key); it != index_.end()) erase(it->second);
  samples_ += night->samples.size();
  order_.push_front(Entry{key, std::move(night), expires});
  index_.emplace(key, order_.begin());
  // The newest entry always stays, even a night larger than the sample bound on its own.
  while (order_.size() > 1 && (order_.size() > options_.max_nights || samples_ > max_samples_)) {
    erase(std::prev(order_.end()));
  }
}

VisibilityCache::Stats VisibilityCache::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{hits_, misses_, order_.size(), samples_};
}

void VisibilityCache::erase(Order::iterator entry) {
  samples_ -= entry->night->samples.size();
  index_.erase(entry->key);
  order_.erase(entry);
}

}  // namespace opsdb
