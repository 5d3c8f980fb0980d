#include "drain_snapshots.hpp"

#include <array>

#include "opsdb/core/timestamp.hpp"

namespace opsdb {
namespace {

std::optional<std::string> text(const nlohmann::json& doc, const char* field) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

DrainState drain_state(const std::string& text) {
  constexpr std::array kStates = {
      DrainState::starting,          DrainState::running,  DrainState::idle,
      DrainState::standby,           DrainState::retrying, DrainState::waiting_for_main_db,
      DrainState::waiting_for_redis, DrainState::stopped};
  for (auto state : kStates) {
    if (to_string(state) == text) return state;
  }
  return DrainState::starting;
}

}  // namespace

ProcessorSnapshot processor_snapshot(const DrainProcessor& processor) {
  const auto doc = processor.status();
  ProcessorSnapshot s;
  s.state = drain_state(doc.value("status", ""));
  s.running = processor.running();
  if (auto last_run = text(doc, "last_run")) s.last_run = parse_timestamp(*last_run);
  s.transactions_processed = doc.value("transactions_processed", std::uint64_t{0});
  s.failed_attempts = doc.value("failed_attempts", std::uint64_t{0});
  s.dead_lettered = doc.value("dead_lettered", std::uint64_t{0});
  s.success_rate = doc.value("success_rate", 1.0);
  s.processing_rate = doc.value("processing_rate", 0.0);
  s.average_execution_time_ms = doc.value("average_execution_time_ms", 0.0);
  s.last_error = text(doc, "last_error").value_or("");
  return s;
}

ReplicationStatus replication_status(const LsnTracker& tracker) {
  const auto doc = tracker.status();
  ReplicationStatus r;
  if (auto lsn = text(doc, "replica_lsn")) r.replica_lsn = Lsn::parse(*lsn);
  r.stalled = doc.value("stalled", false);
  return r;
}

}  // namespace opsdb
