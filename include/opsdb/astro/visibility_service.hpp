#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/astro/visibility.hpp"
#include "opsdb/astro/visibility_cache.hpp"
#include "opsdb/astro/visibility_request.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/core/result.hpp"
#include "opsdb/query/source_catalog.hpp"

namespace opsdb {

/// Runs `work` on a thread meant for computing, then `after` where request handlers run (never
/// the other way round: the catalogue's answers arrive on the HTTP threads, which must not
/// compute). Returns false, running neither, when the computing queue is full.
using Offload = std::function<bool(std::function<void()> work, std::function<void()> after)>;

/// Error codes (Error::code) of the service, besides the catalogue's own failures.
inline constexpr const char* kVisibilityBusy = "busy";                // Fault::unavailable
inline constexpr const char* kUnknownSources = "unknown_sources";     // Fault::not_found
inline constexpr const char* kNotFixedSources = "not_fixed_sources";  // Fault::rejected

/// One source's night at the site.
struct SourceNight {
  SourceCatalog::Record source;
  std::chrono::year_month_day date{};
  int step_minutes = kDefaultVisibilityStep;
  /// Null for a source that is not a fixed source (no fixed ICRS position to follow).
  std::shared_ptr<const NightVisibility> night;
  bool cached = false;
};

/// The nights of a NightsRequest: for each source in the order asked, its nights from `start`.
struct NightGrid {
  NightsRequest request;
  std::vector<SourceCatalog::Record> sources;
  std::vector<std::vector<std::shared_ptr<const NightVisibility>>> nights;
  int computed = 0;
  int already_cached = 0;
};

/// Where the sources of the catalogue are in the sky of the site, night by night: computed on
/// the computing threads (about 0.2 ms a night at a 5-minute step) and kept in a
/// VisibilityCache, so the answers the web UI asks for again and again come from memory.
class VisibilityService {
 public:
  /// Turns the grid into the answer's text, on a computing thread (a large grid takes a while).
  using Render = std::function<std::string(const NightGrid&)>;

  VisibilityService(ObservingSite site, SourceCatalog& sources, Offload offload,
                    VisibilityCache::Options cache, const Clock& clock);

  const ObservingSite& site() const { return site_; }

  /// The date of the night that contains now at the site: nights begin at local mean noon
  /// (night_visibility), so before it this is the previous calendar date.
  std::chrono::year_month_day tonight() const;

  /// Source `id` through the night of `date` (tonight without one). Fails with not_found
  /// (kUnknownSources) for an unknown source, with unavailable (kVisibilityBusy) when the
  /// computing queue is full, or with the catalogue's failure. A source that is not a fixed
  /// source answers with a null night.
  void night(long long id, std::optional<std::chrono::year_month_day> date, int step_minutes,
             Callback<SourceNight> done);

  /// Every night of `request`, computing those not cached, then `render` of them on the
  /// computing thread. Fails as `night` does, naming every unknown source, and with rejected
  /// (kNotFixedSources) naming the sources that are not fixed sources.
  void nights(NightsRequest request, Render render, Callback<std::string> done);

  VisibilityCache::Stats cache_stats() const { return cache_.stats(); }

 private:
  struct Lookup;
  std::shared_ptr<const NightVisibility> compute(SkyPosition source,
                                                 std::chrono::year_month_day date, int step,
                                                 bool* was_cached);
  void finish_nights(const std::shared_ptr<Lookup>& lookup, Render render,
                     Callback<std::string> done);

  const ObservingSite site_;
  SourceCatalog& sources_;
  const Offload offload_;
  const Clock& clock_;
  VisibilityCache cache_;
};

/// The position of a catalogue record when it is a fixed source with coordinates.
std::optional<SkyPosition> fixed_position(const SourceCatalog::Record& source);

}  // namespace opsdb
