#pragma once

#include <string_view>

#include "opsdb/redis/redis_client.hpp"

struct redisReply;

namespace opsdb::redis {

/// Deep copy of a hiredis reply into a value that outlives it (hiredis frees its replies as
/// soon as the reply callback returns).
Reply to_reply(const redisReply& reply);

/// The result of a plain command: `ok` with the reply, or `reply_error` for an error reply.
Result command_result(const redisReply& reply);

/// An array of replies (a pipeline's, EXEC's): `ok`, or `reply_error` when one of them is an
/// error (`reply` still holds them all).
Result array_result(Reply value);

/// The result of a MULTI ... EXEC group, from EXEC's reply and the first error reply seen
/// for MULTI or a queued command (empty when there was none).
Result exec_result(const redisReply& exec_reply, std::string_view queue_error);

}  // namespace opsdb::redis
