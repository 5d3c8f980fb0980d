#pragma once

#include "opsdb/api/write_sink.hpp"
#include "opsdb/events/event_hub.hpp"
#include "opsdb/tx/idempotency.hpp"
#include "opsdb/tx/transaction_applier.hpp"

namespace opsdb {

/// The main site's write path: executes each transaction synchronously on the main database
/// and reports "applied", or the database's verdict as a client error. A keyed write the ledger
/// already holds is a retry when its request hash matches (answered as the original), else a
/// reuse of the key (422).
class DirectWriter final : public WriteSink {
 public:
  /// With `events`, each transaction applied is announced there (`applied`, with its commit's
  /// LSN).
  DirectWriter(TransactionApplier& main_db, RequestLedger& requests, EventHub* events = nullptr)
      : db_(main_db), requests_(requests), events_(events) {}
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override;

 private:
  void answer_skipped_retry(const std::string& tx_id, const std::string& request_hash,
                            std::function<void(WriteResult)> done);

  TransactionApplier& db_;
  RequestLedger& requests_;
  EventHub* events_;
};

}  // namespace opsdb
