#include "transaction_buffer_ports.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

Error to_error(const ApiError& error) {
  switch (error.kind()) {
    case ErrorKind::unavailable:
      return Error{Fault::unavailable, error.what(), ""};
    case ErrorKind::not_found:
      return Error{Fault::not_found, error.what(), ""};
    case ErrorKind::conflict:
      return Error{Fault::conflict, error.what(), ""};
    default:
      return Error{Fault::internal, error.what(), ""};
  }
}

std::optional<std::string> text(const json& doc, const char* field) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
  return it->get<std::string>();
}

TransactionBuffer::Reply done_without_value(Callback<void> done) {
  return [done = std::move(done)](std::optional<ApiError> error, json) {
    if (error) return done(to_error(*error));
    done(Status());
  };
}

}  // namespace

void TransactionBufferPorts::enqueue(const Transaction& tx, Callback<void> done) {
  buffer_.enqueue(tx, [done = std::move(done)](std::optional<ApiError> error) {
    if (error) return done(to_error(*error));
    done(Status());
  });
}

void TransactionBufferPorts::stats(Callback<BufferStats> done) {
  buffer_.stats([done = std::move(done)](std::optional<ApiError> error, json doc) {
    if (error) return done(to_error(*error));
    BufferStats stats;
    stats.pending = doc.value("pending_transactions", std::int64_t{0});
    stats.failed = doc.value("failed_transactions", std::int64_t{0});
    stats.awaiting_replication = doc.value("awaiting_replication", std::int64_t{0});
    if (doc["oldest_pending_seconds"].is_number()) {
      stats.oldest_pending_seconds = doc["oldest_pending_seconds"].get<double>();
    }
    stats.size_mb = doc.value("buffer_size_mb", 0.0);
    done(stats);
  });
}

void TransactionBufferPorts::status(const std::string& transaction_id,
                                    Callback<TransactionStatus> done) {
  buffer_.status(transaction_id, [done = std::move(done)](std::optional<ApiError> error, json doc) {
    if (error) return done(to_error(*error));
    TransactionStatus s;
    s.transaction_id = doc.value("transaction_id", "");
    s.state = doc.value("state", "");
    s.attempts = doc.value("attempts", 0);
    s.lsn = text(doc, "lsn");
    s.error = text(doc, "error");
    s.origin = text(doc, "origin");
    s.created_at = text(doc, "created_at");
    s.applied_at = text(doc, "applied_at");
    s.replicated_at = text(doc, "replicated_at");
    s.resolution = text(doc, "resolution");
    done(std::move(s));
  });
}

void TransactionBufferPorts::list(std::size_t limit,
                                  Callback<std::vector<FailedTransaction>> done) {
  buffer_.failed(limit, [done = std::move(done)](std::optional<ApiError> error, json doc) {
    if (error) return done(to_error(*error));
    std::vector<FailedTransaction> entries;
    for (const auto& item : doc["items"]) {
      if (!item.is_object()) continue;
      FailedTransaction e;
      e.transaction_id = item.value("transaction_id", "");
      e.transaction = item.value("transaction", json());
      e.error = item.value("error", "");
      e.attempts = item.value("attempts", 0);
      e.failed_at = item.value("failed_at", "");
      entries.push_back(std::move(e));
    }
    done(std::move(entries));
  });
}

void TransactionBufferPorts::replay(const std::string& transaction_id, Callback<void> done) {
  buffer_.replay(transaction_id, done_without_value(std::move(done)));
}

void TransactionBufferPorts::resolve(const std::string& transaction_id, const std::string& reason,
                                     Callback<void> done) {
  buffer_.resolve(transaction_id, reason, done_without_value(std::move(done)));
}

}  // namespace opsdb
