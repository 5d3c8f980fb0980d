#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "opsdb/config/config.hpp"
#include "opsdb/status/site_status.hpp"
#include "opsdb/status/transaction_status.hpp"

namespace opsdb {

/// The JSON documents of the operations endpoints, built from the typed snapshots.

/// `/health`: the original system's document key for key (status, database, redis,
/// transaction_buffer, background_processor, replication_lag), with this server's additions
/// beside them: site, problems, firing alerts, the main database as the drain sees it, the LSN
/// tracker's details, when the state was sampled.
nlohmann::json health_document(const Config& config, const SiteReport& report);

/// `/buffer-stats`: the buffer's figures with the drain's rate and state.
nlohmann::json buffer_stats_document(const BufferStats& stats, const ProcessorSnapshot& processor);

/// `/transactions/{tx_id}`.
nlohmann::json transaction_status_document(const TransactionStatus& status);

/// `/admin/failed-transactions`: {"items", "count"}.
nlohmann::json failed_transactions_document(const std::vector<FailedTransaction>& entries);

}  // namespace opsdb
