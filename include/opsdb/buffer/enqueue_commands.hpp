#pragma once

#include <vector>

#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/redis/command.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// The commands that buffer `tx` (DESIGN §5), to run atomically: the buffer entry, its record
/// caches and index entries, the read-buffer overlays of its updates, its status hash (listing
/// those caches) and the `buffered` event. Used by every enqueue, first or replayed.
std::vector<redis::Command> enqueue_commands(const RedisKeys& keys, const Transaction& tx);

}  // namespace opsdb
