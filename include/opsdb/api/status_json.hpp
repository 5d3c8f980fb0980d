#pragma once

#include <nlohmann/json.hpp>

#include "opsdb/status/site_status.hpp"
#include "opsdb/status/transaction_status.hpp"

namespace opsdb {

/// The `background_processor` section of /health.
nlohmann::json to_json(const ProcessorSnapshot& processor);
/// The `replication` section of /health.
nlohmann::json to_json(const ReplicationStatus& replication);
/// The buffer figures of /buffer-stats.
nlohmann::json to_json(const BufferStats& stats);
/// The document of GET /transactions/{id}.
nlohmann::json to_json(const TransactionStatus& status);
/// One item of GET /admin/failed-transactions.
nlohmann::json to_json(const FailedTransaction& failed);

}  // namespace opsdb
