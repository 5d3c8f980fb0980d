#include "status_documents.hpp"

#include "opsdb/core/timestamp.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

template <typename T>
json or_null(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json time_or_null(const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? json(format_timestamp(*t)) : json(nullptr);
}

const char* reachability_word(DatabaseStatus::State state) {
  switch (state) {
    case DatabaseStatus::State::reachable:
      return "connected";
    case DatabaseStatus::State::unreachable:
      return "unreachable";
    case DatabaseStatus::State::unknown:
      break;
  }
  return "unknown";
}

json processor_document(const ProcessorSnapshot& p) {
  return {{"status", std::string(to_string(p.state))},
          {"last_run", time_or_null(p.last_run)},
          {"transactions_processed", p.transactions_processed},
          {"failed_attempts", p.failed_attempts},
          {"dead_lettered", p.dead_lettered},
          {"success_rate", p.success_rate},
          {"processing_rate", p.processing_rate},
          {"average_execution_time_ms", p.average_execution_time_ms},
          {"last_error", p.last_error.empty() ? json(nullptr) : json(p.last_error)},
          {"step_errors", p.step_errors},
          {"batch_limit", p.batch_limit}};
}

json tracker_document(const std::optional<ReplicationStatus>& r) {
  if (!r) return nullptr;
  return {{"replica_lsn", r->replica_lsn ? json(r->replica_lsn->to_string()) : json(nullptr)},
          {"stalled", r->stalled},
          {"loop_stalled", r->loop_stalled},
          {"step_errors", r->step_errors}};
}

json lsn_or_null(const std::optional<Lsn>& lsn) {
  return lsn ? json(lsn->to_string()) : json(nullptr);
}

// Without LSN tracking the lag is not known: every figure is null.
json replication_lag_section(const std::optional<ReplicationLag>& lag) {
  if (!lag) {
    return {{"current_lag_seconds", nullptr},
            {"main_lsn", nullptr},
            {"replica_lsn", nullptr},
            {"lag_bytes", nullptr}};
  }
  return {{"current_lag_seconds", lag->seconds},
          {"main_lsn", lsn_or_null(lag->main_lsn)},
          {"replica_lsn", lsn_or_null(lag->replica_lsn)},
          {"lag_bytes", or_null(lag->bytes)}};
}

json buffer_section(const std::optional<BufferStats>& b) {
  if (!b) {
    return {{"size", nullptr},
            {"failed", nullptr},
            {"oldest_pending_seconds", nullptr},
            {"awaiting_replication", nullptr}};
  }
  return {{"size", b->pending},
          {"failed", b->failed},
          {"oldest_pending_seconds", or_null(b->oldest_pending_seconds)},
          {"awaiting_replication", b->awaiting_replication}};
}

// The main site writes straight to its database: no buffer, no drain, nothing to replicate to.
// The sections keep their keys so tools read both sites alike.
void add_main_site_sections(json& doc) {
  doc["redis"] = "not_used";
  doc["transaction_buffer"] = {{"size", 0}, {"failed", 0}, {"oldest_pending_seconds", nullptr}};
  doc["background_processor"] = {{"status", "not_used"},
                                 {"last_run", nullptr},
                                 {"transactions_processed", 0},
                                 {"success_rate", 1.0}};
  doc["replication_lag"] = {{"current_lag_seconds", 0},
                            {"main_lsn", nullptr},
                            {"replica_lsn", nullptr},
                            {"lag_bytes", 0}};
}

}  // namespace

json health_document(const Config& config, const SiteReport& report) {
  const SiteSnapshot& site = report.site;
  json doc = {{"status", std::string(to_string(report.verdict.level))},
              {"database", reachability_word(site.local_db.state)},
              {"site", config.site_name},
              {"site_type", to_string(config.site_type)},
              {"problems", report.verdict.problems},
              {"alerts", report.alerts},
              {"checked_at", format_timestamp(report.sampled_at)},
              {"last_check", time_or_null(site.local_db.last_check)}};
  if (!site.secondary) {
    add_main_site_sections(doc);
    return doc;
  }
  const ProcessorSnapshot processor = site.processor.value_or(ProcessorSnapshot{});
  const auto main_db = main_database_reachable(site);
  doc["redis"] = reachability_word(site.redis);
  doc["main_database"] = !main_db                                            ? "unknown"
                         : *main_db                                          ? "reachable"
                         : processor.state == DrainState::refused_by_main_db ? "refusing"
                                                                             : "unreachable";
  doc["transaction_buffer"] = buffer_section(site.buffer);
  if (site.journal) {
    doc["journal"] = {{"pending", site.journal->pending},
                      {"bytes", site.journal->bytes},
                      {"max_bytes", site.journal->max_bytes}};
  }
  doc["background_processor"] = processor_document(processor);
  doc["replication_lag"] = replication_lag_section(site.lag);
  doc["replication"] = tracker_document(site.replication);
  return doc;
}

json buffer_stats_document(const BufferStats& stats, const ProcessorSnapshot& processor) {
  return {{"pending_transactions", stats.pending},
          {"failed_transactions", stats.failed},
          {"awaiting_replication", stats.awaiting_replication},
          {"oldest_pending_seconds", or_null(stats.oldest_pending_seconds)},
          {"buffer_size_mb", stats.size_mb},
          {"processing_rate", processor.processing_rate},
          {"average_execution_time_ms", processor.average_execution_time_ms},
          {"processor_status", std::string(to_string(processor.state))}};
}

json transaction_status_document(const TransactionStatus& s) {
  return {{"transaction_id", s.transaction_id},
          {"state", s.state},
          {"attempts", s.attempts},
          {"lsn", or_null(s.lsn)},
          {"error", or_null(s.error)},
          {"origin", or_null(s.origin)},
          {"created_at", or_null(s.created_at)},
          {"applied_at", or_null(s.applied_at)},
          {"replicated_at", or_null(s.replicated_at)},
          {"resolution", or_null(s.resolution)},
          {"location", or_null(record_location(s.state))}};
}

json failed_transactions_document(const std::vector<FailedTransaction>& entries) {
  json items = json::array();
  for (const auto& e : entries) {
    items.push_back({{"transaction_id", e.transaction_id},
                     {"transaction", e.transaction},
                     {"error", e.error},
                     {"attempts", e.attempts},
                     {"failed_at", e.failed_at}});
  }
  const auto count = items.size();
  return {{"items", std::move(items)}, {"count", count}};
}

}  // namespace opsdb
