#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/result.hpp"
#include "opsdb/status/site_status.hpp"

namespace opsdb {

/// The life of one buffered transaction as the buffer records it (DESIGN §5).
struct TransactionStatus {
  std::string transaction_id;
  std::string state;  // journaled, buffered, applied, replicated, failed, resolved
  int attempts = 0;
  std::optional<std::string> lsn;
  std::optional<std::string> error;
  std::optional<std::string> origin;
  std::optional<std::string> created_at;
  std::optional<std::string> applied_at;
  std::optional<std::string> replicated_at;
  std::optional<std::string> resolution;
};

/// Where the records a transaction wrote live now, by its state: "journal" (only in the local
/// journal, waiting for Redis: reads do not see them yet), "buffer" (only in this site's
/// buffer: buffered, or failed and waiting for an operator), "main" (on the main database, not
/// yet replayed by the local replica; reads answer from the buffer's copies), "replica" (on
/// the local replica). None for a transaction resolved away (its records exist nowhere).
std::optional<std::string> record_location(const std::string& state);

/// One entry of the dead-letter queue.
struct FailedTransaction {
  std::string transaction_id;
  nlohmann::json transaction;  // the transaction document (its text when it is not JSON)
  std::string error;
  int attempts = 0;
  std::string failed_at;
};

/// Read-only view of the buffer for operators: figures and the status of one transaction.
class BufferInspector {
 public:
  virtual ~BufferInspector() = default;
  virtual void stats(Callback<BufferStats> done) = 0;
  /// Fault::not_found when the transaction is unknown (never buffered here, or its final status
  /// has expired).
  virtual void status(const std::string& transaction_id, Callback<TransactionStatus> done) = 0;
};

/// The dead-letter queue as operators handle it (DESIGN §6).
class DeadLetters {
 public:
  virtual ~DeadLetters() = default;
  /// The oldest `limit` entries, newest first.
  virtual void list(std::size_t limit, Callback<std::vector<FailedTransaction>> done) = 0;
  /// Re-enqueues the transaction behind everything pending. Fault::not_found when it is not in
  /// the queue; Fault::conflict when someone else replayed or resolved it first, or when its
  /// document cannot be replayed.
  virtual void replay(const std::string& transaction_id, Callback<void> done) = 0;
  /// Drops the transaction, keeping `reason` in the resolution log. Faults as for replay.
  virtual void resolve(const std::string& transaction_id, const std::string& reason,
                       Callback<void> done) = 0;
};

}  // namespace opsdb
