#pragma once

#include "opsdb/api/write_sink.hpp"
#include "opsdb/tx/idempotency.hpp"
#include "opsdb/tx/transaction_applier.hpp"

namespace opsdb {

/// The main site's write path: executes each transaction synchronously on the main database
/// and reports "applied", or the database's verdict as a client error. A keyed write the ledger
/// already holds is a retry when its request hash matches (answered as the original), else a
/// reuse of the key (422).
class DirectWriter final : public WriteSink {
 public:
  DirectWriter(TransactionApplier& main_db, RequestLedger& requests)
      : db_(main_db), requests_(requests) {}
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override;

 private:
  void answer_skipped_retry(const std::string& tx_id, const std::string& request_hash,
                            std::function<void(WriteResult)> done);

  TransactionApplier& db_;
  RequestLedger& requests_;
};

}  // namespace opsdb
