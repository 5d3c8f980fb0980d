#include "opsdb/api/write_sink.hpp"

namespace opsdb {

WriteResult answer_retry(bool same_request, const std::string& status) {
  if (!same_request) {
    return WriteResult{ApiError(ErrorKind::unprocessable,
                                "this Idempotency-Key was used for a different request (method, "
                                "path or body); a retry must repeat its request exactly, a new "
                                "request needs a new key"),
                       ""};
  }
  return WriteResult{std::nullopt, status, true};
}

}  // namespace opsdb
