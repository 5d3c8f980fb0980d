#include "opsdb/api/direct_writer.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/api/error_mapping.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/events/transaction_event.hpp"

namespace opsdb {

void DirectWriter::submit(BuiltWrite write, std::function<void(WriteResult)> done) {
  auto tx_id = write.tx.id;
  auto request_hash = write.request_hash;
  auto subject = events_ ? event_subject(write.tx) : std::string{};
  std::vector<Transaction> batch;
  batch.push_back(std::move(write.tx));
  db_.apply(std::move(batch), [this, done = std::move(done), tx_id, request_hash,
                               subject = std::move(subject)](Result<ApplyResult> result) mutable {
    if (!result.ok()) {
      spdlog::warn("transaction {} not applied: {}", tx_id, result.error().message);
      done(WriteResult{to_api_error(result.error(), Dependency::database), {}});
      return;
    }
    const auto& outcomes = result->outcomes;
    if (outcomes.size() != 1) {
      done(WriteResult{ApiError(ErrorKind::internal, "unexpected apply result"), {}});
      return;
    }
    if (outcomes[0].state == TxOutcome::State::skipped && request_hash) {
      return answer_skipped_retry(tx_id, *request_hash, std::move(done));
    }
    if (outcomes[0].state == TxOutcome::State::failed) {
      spdlog::info("transaction {} rejected by the database: {}", tx_id, outcomes[0].error.message);
      done(WriteResult{to_api_error(outcomes[0].error, Dependency::database), {}});
      return;
    }
    if (events_) {
      const auto now = std::chrono::system_clock::now();
      events_->publish_new(transaction_event("applied", tx_id, subject, format_timestamp(now),
                                             ",\"lsn\":\"" + result->lsn.to_string() + "\""),
                           now);
    }
    done(WriteResult{std::nullopt, "applied"});
  });
}

// The ledger already held the transaction of this Idempotency-Key: a retry of the same request
// is answered as the original was; another request with the key is refused.
void DirectWriter::answer_skipped_retry(const std::string& tx_id, const std::string& request_hash,
                                        std::function<void(WriteResult)> done) {
  requests_.recorded_hash(
      tx_id, [done = std::move(done), request_hash](Result<std::optional<std::string>> recorded) {
        if (!recorded.ok())
          return done(WriteResult{to_api_error(recorded.error(), Dependency::database), {}});
        done(answer_retry(*recorded == request_hash, "applied"));
      });
}

}  // namespace opsdb
