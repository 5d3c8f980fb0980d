#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>

#include "opsdb/core/clock.hpp"
#include "opsdb/status/alerts.hpp"
#include "opsdb/status/database_probe.hpp"
#include "opsdb/status/site_status.hpp"
#include "opsdb/status/transaction_status.hpp"
#include "opsdb/tx/write_journal.hpp"

namespace opsdb {

/// Where the monitor looks. Everything but the local database is the secondary site's.
struct SiteSources {
  DatabaseProbe& local_db;
  BufferInspector* buffer = nullptr;
  std::function<ProcessorSnapshot()> processor{};
  /// Empty, or an empty answer, when LSN tracking is off.
  std::function<std::optional<ReplicationStatus>()> replication{};
  /// The local journal of writes Redis could not take (secondary site).
  std::function<JournalStats()> journal{};
};

/// Samples the site and keeps the last report, so that /health and /metrics answer at once from
/// memory even while a database or Redis hangs; logs every alert once as it fires and once as it
/// clears. Each source answers on its own: a slow one delays only its own part of the report.
class SiteMonitor {
 public:
  SiteMonitor(SiteSources sources, AlertOptions alerts, const Clock& clock);

  /// Probes the local database and asks the buffer for its figures, unless the previous ask is
  /// still outstanding, and refreshes the report with what the drain and the LSN tracker know.
  /// Called periodically by the application (HEALTH_CHECK_INTERVAL).
  void sample();

  /// The site as last sampled.
  SiteReport report() const;

 private:
  void refresh();  // with mutex_ held

  SiteSources sources_;
  HealthThresholds thresholds_;
  const Clock& clock_;
  std::atomic<bool> probing_{false};
  std::atomic<bool> asking_buffer_{false};

  mutable std::mutex mutex_;
  AlertMonitor alerts_;
  DatabaseStatus local_db_;
  DatabaseStatus::State redis_ = DatabaseStatus::State::unknown;
  std::optional<BufferStats> buffer_;
  SiteReport report_;
};

}  // namespace opsdb
