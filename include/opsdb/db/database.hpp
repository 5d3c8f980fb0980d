#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// A database failure, classified at the adapter boundary. The processor depends on the split:
/// connectivity failures are retried forever without blaming the transaction, data failures are
/// the transaction's own fault.
struct DbError {
  enum class Kind {
    connectivity,  // refused, reset, timeout, shutdown, commit in doubt, serialization, deadlock
    data,          // constraint violation, invalid value, update matched no row
  };
  Kind kind = Kind::connectivity;
  std::string sqlstate;  // five-character SQLSTATE, empty when there was no server answer
  std::string message;   // the server's message (no SQL text, no credentials)
};

/// Either a value or a DbError.
template <typename T>
struct DbResult {
  std::optional<T> value;
  DbError error;

  bool ok() const { return value.has_value(); }
  static DbResult success(T v) { return DbResult{std::move(v), {}}; }
  static DbResult failure(DbError e) { return DbResult{std::nullopt, std::move(e)}; }
};

/// A parameterised SQL statement. The text is built only from registry identifiers and fixed
/// SQL; every value is a parameter.
struct SqlQuery {
  std::string text;
  std::vector<std::optional<std::string>> params;
};

/// What happened to one transaction of an applied batch.
struct TxOutcome {
  enum class State { applied, skipped, failed };
  std::string transaction_id;
  State state = State::applied;
  DbError error;  // when failed (always of kind data)
};

/// Result of applying a batch: outcomes in order, ending at the first failed transaction (the
/// ones after it were not attempted); the main DB's WAL position after the commit.
struct ApplyResult {
  std::vector<TxOutcome> outcomes;
  std::string lsn;  // "X/Y": the WAL position right after the commit
};

/// A PostgreSQL database reached asynchronously: calls return at once and `done` runs later on a
/// database worker thread. Implementations bound every call with a deadline.
class Database {
 public:
  template <typename T>
  using Callback = std::function<void(DbResult<T>)>;

  virtual ~Database() = default;

  /// Runs a read statement returning one column of JSON text per row; `done` gets the parsed
  /// values as a JSON array.
  virtual void query(SqlQuery query, Callback<nlohmann::json> done) = 0;

  /// Applies transactions in order in one database transaction, each with its ledger row, so a
  /// transaction already in the ledger is skipped. Stops at the first data error and commits
  /// the transactions before it.
  virtual void apply(std::vector<Transaction> transactions, Callback<ApplyResult> done) = 0;
};

}  // namespace opsdb
