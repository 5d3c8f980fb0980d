#pragma once

#include <functional>
#include <optional>
#include <string>

#include "opsdb/core/error.hpp"
#include "opsdb/tx/transaction_builder.hpp"

namespace opsdb {

/// Outcome of submitting a write: the state the client is told ("applied" at the main site,
/// "buffered" at a secondary site), or the error to answer with.
struct WriteResult {
  std::optional<ApiError> error;
  std::string status;
  /// A retry with the Idempotency-Key of a write already taken: nothing new was written and the
  /// client gets the original answer.
  bool replayed = false;
};

/// The answer to a keyed write whose transaction was taken before: a retry of the same request
/// (`same_request`) gets the original answer, with `status`; another request reusing the key is
/// refused.
WriteResult answer_retry(bool same_request, const std::string& status);

/// Where validated writes go: executed at once on the main DB, or buffered for the drain.
class WriteSink {
 public:
  virtual ~WriteSink() = default;
  /// `done` runs exactly once, on any thread.
  virtual void submit(BuiltWrite write, std::function<void(WriteResult)> done) = 0;
};

}  // namespace opsdb
