#include "opsdb/api/status_json.hpp"

#include "opsdb/core/timestamp.hpp"

namespace opsdb {
namespace {

template <typename T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const ProcessorSnapshot& p) {
  return {{"status", to_string(p.state)},
          {"last_run", p.last_run ? nlohmann::json(format_timestamp(*p.last_run)) : nullptr},
          {"transactions_processed", p.transactions_processed},
          {"failed_attempts", p.failed_attempts},
          {"dead_lettered", p.dead_lettered},
          {"success_rate", p.success_rate},
          {"processing_rate", p.processing_rate},
          {"average_execution_time_ms", p.average_execution_time_ms},
          {"last_error",
           p.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.last_error)}};
}

nlohmann::json to_json(const ReplicationStatus& r) {
  return {{"replica_lsn", r.replica_lsn ? nlohmann::json(r.replica_lsn->to_string()) : nullptr},
          {"stalled", r.stalled}};
}

nlohmann::json to_json(const BufferStats& s) {
  return {{"pending_transactions", s.pending},
          {"failed_transactions", s.failed},
          {"awaiting_replication", s.awaiting_replication},
          {"oldest_pending_seconds", or_null(s.oldest_pending_seconds)},
          {"buffer_size_mb", s.size_mb}};
}

nlohmann::json to_json(const TransactionStatus& s) {
  return {{"transaction_id", s.transaction_id},
          {"state", s.state},
          {"attempts", s.attempts},
          {"lsn", or_null(s.lsn)},
          {"error", or_null(s.error)},
          {"origin", or_null(s.origin)},
          {"created_at", or_null(s.created_at)},
          {"applied_at", or_null(s.applied_at)},
          {"replicated_at", or_null(s.replicated_at)},
          {"resolution", or_null(s.resolution)}};
}

nlohmann::json to_json(const FailedTransaction& f) {
  return {{"transaction_id", f.transaction_id},
          {"transaction", f.transaction},
          {"error", f.error},
          {"attempts", f.attempts},
          {"failed_at", f.failed_at}};
}

}  // namespace opsdb
