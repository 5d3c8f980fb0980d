#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/redis/command.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// The commands that buffer `tx` (DESIGN §5), to run atomically: the buffer entry, its record
/// caches and index entries, the read-buffer overlays of its updates, its status hash (listing
/// those caches and holding the subject of its events) and the `buffered` event, added to the
/// events stream trimmed to about `events_max` entries, dated `at` (empty: when the transaction
/// was created). Used by every enqueue, first or replayed.
std::vector<redis::Command> enqueue_commands(const RedisKeys& keys, const Transaction& tx,
                                             std::size_t events_max, std::string_view at = {});

/// The command that adds `event` (as transaction_event() writes it) to the events stream.
redis::Command add_event(const RedisKeys& keys, std::size_t events_max, std::string event);

}  // namespace opsdb
