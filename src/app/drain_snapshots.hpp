#pragma once

#include "opsdb/processor/drain_processor.hpp"
#include "opsdb/processor/lsn_tracker.hpp"
#include "opsdb/status/site_status.hpp"

namespace opsdb {

/// The drain's state as the typed snapshot /health and /buffer-stats read.
ProcessorSnapshot processor_snapshot(const DrainProcessor& processor);

/// The LSN tracker's knowledge of the replica as the typed snapshot /health reads.
ReplicationStatus replication_status(const LsnTracker& tracker);

}  // namespace opsdb
