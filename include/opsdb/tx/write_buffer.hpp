#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "opsdb/core/result.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// The Error code of a write the buffer refused because it is full (Redis at its maxmemory): a
/// refusal before anything was written, answered 503 buffer_full and never journaled.
inline constexpr std::string_view kBufferOutOfMemory = "OOM";

/// The Error code of a write the buffer holds but fewer of its replicas confirmed than the site
/// requires (a fault `outcome_unknown`): it will be applied unless the buffer's master is lost
/// before a replica has it. Answered 503 with the transaction id, never journaled (the journal
/// would acknowledge it without the replicas the operator asked for).
inline constexpr std::string_view kReplicasUnconfirmed = "replicas_unconfirmed";

/// The durable buffer of a secondary site as the write path sees it (DESIGN §5): a transaction
/// is buffered atomically with its record caches, index entries and read-buffer overlays, and
/// `done` succeeds only once the buffer confirmed it.
class WriteBuffer {
 public:
  virtual ~WriteBuffer() = default;
  virtual void enqueue(const Transaction& tx, Callback<void> done) = 0;
  /// As `enqueue`, once per transaction id: the transaction of an Idempotency-Key is buffered
  /// only if no transaction with its id was buffered within the key horizon, in the same atomic
  /// step that records `request_hash` for it. `done` gets the request hash recorded before when
  /// there was one (nothing was buffered then), none when this call buffered the transaction.
  virtual void enqueue_once(const Transaction& tx, const std::string& request_hash,
                            Callback<std::optional<std::string>> done) = 0;
  /// As `enqueue`, unless a transaction with its id is in the buffer already (the replay of the
  /// local journal, whose writes may have reached the buffer before their journaling). `done`
  /// gets true when this call buffered it.
  virtual void enqueue_absent(const Transaction& tx, Callback<bool> done) = 0;
};

}  // namespace opsdb
