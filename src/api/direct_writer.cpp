#include "opsdb/api/direct_writer.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/api/error_mapping.hpp"

namespace opsdb {

void DirectWriter::submit(BuiltWrite write, std::function<void(WriteResult)> done) {
  auto tx_id = write.tx.id;
  std::vector<Transaction> batch;
  batch.push_back(std::move(write.tx));
  db_.apply(std::move(batch), [done = std::move(done), tx_id](Result<ApplyResult> result) {
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
    if (outcomes[0].state == TxOutcome::State::failed) {
      spdlog::info("transaction {} rejected by the database: {}", tx_id, outcomes[0].error.message);
      done(WriteResult{to_api_error(outcomes[0].error, Dependency::database), {}});
      return;
    }
    done(WriteResult{std::nullopt, "applied"});
  });
}

}  // namespace opsdb
