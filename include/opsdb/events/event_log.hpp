#pragma once

#include <cstddef>
#include <vector>

#include "opsdb/core/result.hpp"
#include "opsdb/events/event.hpp"

namespace opsdb {

/// The site's recent events, kept for a bounded number of them (EVENTS_RECENT_MAX), so a
/// subscriber that reconnects gets what it missed. A port: Redis keeps them at a secondary site.
class EventLog {
 public:
  struct Page {
    std::vector<Event> events;  ///< oldest first
    /// Events after the asked position are gone already (trimmed): the page starts later.
    bool gap = false;
    /// More than the limit follow the position: `events` holds the first `limit` of them.
    bool truncated = false;
  };

  virtual ~EventLog() = default;
  /// The events after `after`, at most `limit` of them.
  virtual void read_after(EventId after, std::size_t limit, Callback<Page> done) = 0;
};

}  // namespace opsdb
