#pragma once

#include <string>
#include <vector>

#include "opsdb/core/lsn.hpp"
#include "opsdb/core/result.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// What happened to one transaction of an applied batch.
struct TxOutcome {
  enum class State { applied, skipped, failed };
  std::string transaction_id;
  State state = State::applied;
  /// When failed: Fault::rejected when the transaction itself is at fault (a constraint, a
  /// value), any other fault when the database refused it for a reason of its own (read-only,
  /// privileges); the SQLSTATE is in `code`.
  Error error;
};

/// Result of applying a batch: outcomes in order, ending at the first failed transaction (the
/// ones after it were not attempted, the ones before it are committed); the main database's WAL
/// position right after the commit.
struct ApplyResult {
  std::vector<TxOutcome> outcomes;
  Lsn lsn;
};

/// The main database as the write paths see it: applies transactions in order in one database
/// transaction, each with its ledger row, so a transaction already in the ledger is skipped.
/// Stops at the first rejected transaction and commits the ones before it. Every call has a
/// deadline; `done` runs once, on a database worker thread.
class TransactionApplier {
 public:
  virtual ~TransactionApplier() = default;
  virtual void apply(std::vector<Transaction> transactions, Callback<ApplyResult> done) = 0;
};

}  // namespace opsdb
