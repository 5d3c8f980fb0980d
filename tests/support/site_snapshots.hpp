#pragma once

#include "opsdb/status/site_status.hpp"

namespace opsdb::test {

/// A secondary site where everything is fine: every source reachable, the drain idle and
/// running, nothing buffered, no lag. Tests change what they are about.
inline SiteSnapshot fine_secondary() {
  SiteSnapshot site;
  site.secondary = true;
  site.local_db.state = DatabaseStatus::State::reachable;
  site.redis = DatabaseStatus::State::reachable;
  site.buffer = BufferStats{};
  site.processor = ProcessorSnapshot{};
  site.processor->state = DrainState::idle;
  site.processor->running = true;
  site.replication = ReplicationStatus{};
  site.lag = ReplicationLag{};
  return site;
}

}  // namespace opsdb::test
