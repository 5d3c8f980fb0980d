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
};

/// Where validated writes go: executed at once on the main DB, or buffered for the drain.
class WriteSink {
 public:
  virtual ~WriteSink() = default;
  /// `done` runs exactly once, on any thread.
  virtual void submit(BuiltWrite write, std::function<void(WriteResult)> done) = 0;
};

}  // namespace opsdb
