#pragma once

#include "opsdb/core/result.hpp"
#include "opsdb/redis/redis_client.hpp"

namespace opsdb::redis {

/// The Error of a failed Redis call: a timeout or a lost connection is Fault::outcome_unknown
/// when the command had been sent (Redis may have run it), Fault::unavailable when it never
/// left this process; an
/// error reply is Fault::conflict when a script refused on purpose (its first word LEASE or
/// MISMATCH, kept in `code`), Fault::internal otherwise. The message names the kind of failure.
Error to_error(const Result& result);

}  // namespace opsdb::redis
