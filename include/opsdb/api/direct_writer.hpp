#pragma once

#include "opsdb/api/write_sink.hpp"
#include "opsdb/tx/transaction_applier.hpp"

namespace opsdb {

/// The main site's write path: executes each transaction synchronously on the main database
/// and reports "applied", or the database's verdict as a client error.
class DirectWriter final : public WriteSink {
 public:
  explicit DirectWriter(TransactionApplier& main_db) : db_(main_db) {}
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override;

 private:
  TransactionApplier& db_;
};

}  // namespace opsdb
