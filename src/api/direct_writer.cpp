#include "opsdb/api/direct_writer.hpp"

#include <spdlog/spdlog.h>

namespace opsdb {

ApiError to_api_error(const Error& error) {
  if (!error.is(Fault::rejected)) {
    return ApiError(ErrorKind::unavailable, "the database is unreachable; try again later");
  }
  // The server's message names the constraint or the missing row; it carries no SQL text and
  // no credentials, and it is what lets a client fix its request.
  nlohmann::json details = {{"sqlstate", error.code}};
  if (error.code == "P0002") return ApiError(ErrorKind::not_found, error.message, details);
  if (error.code == "23505") return ApiError(ErrorKind::conflict, error.message, details);
  return ApiError(ErrorKind::unprocessable, error.message, details);
}

void DirectWriter::submit(BuiltWrite write, std::function<void(WriteResult)> done) {
  auto tx_id = write.tx.id;
  std::vector<Transaction> batch;
  batch.push_back(std::move(write.tx));
  db_.apply(std::move(batch), [done = std::move(done), tx_id](Result<ApplyResult> result) {
    if (!result.ok()) {
      spdlog::warn("transaction {} not applied: {}", tx_id, result.error().message);
      done(WriteResult{to_api_error(result.error()), {}});
      return;
    }
    const auto& outcomes = result->outcomes;
    if (outcomes.size() != 1) {
      done(WriteResult{ApiError(ErrorKind::internal, "unexpected apply result"), {}});
      return;
    }
    if (outcomes[0].state == TxOutcome::State::failed) {
      spdlog::info("transaction {} rejected by the database: {}", tx_id, outcomes[0].error.message);
      done(WriteResult{to_api_error(outcomes[0].error), {}});
      return;
    }
    done(WriteResult{std::nullopt, "applied"});
  });
}

}  // namespace opsdb
