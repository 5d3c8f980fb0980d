#pragma once

#include <functional>
#include <optional>

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/log_throttle.hpp"
#include "opsdb/redis/script.hpp"
#include "opsdb/tx/write_buffer.hpp"

namespace opsdb {

/// The write path's buffer in Redis: each transaction goes in with its caches, index entries,
/// overlays, status hash and event in one MULTI/EXEC — or, for the transaction of an
/// Idempotency-Key or a replayed journal record, in one script that first checks a guard key.
class RedisWriteBuffer final : public WriteBuffer {
 public:
  RedisWriteBuffer(redis::RedisClient& redis, const BufferOptions& options);
  void enqueue(const Transaction& tx, Callback<void> done) override;
  void enqueue_once(const Transaction& tx, const std::string& request_hash,
                    Callback<std::optional<std::string>> done) override;
  void enqueue_absent(const Transaction& tx, Callback<bool> done) override;

 private:
  /// The error of a write Redis did not take, logged at most every few seconds: during an
  /// outage every write fails the same way.
  Error not_taken(const redis::Result& result);
  /// Runs the guarded enqueue script: `guard` is the key's marker (with `request_hash`) or the
  /// transaction's status hash (with an empty hash). `done` gets the script's reply: the
  /// recorded hash ('' for an existing status) when nothing was buffered.
  void enqueue_guarded(const Transaction& tx, std::string guard, const std::string& request_hash,
                       Callback<std::optional<std::string>> done);
  /// Calls `then` once `min_replicas_ack_` replicas hold every write made so far (WAIT), with
  /// the error of a write they did not confirm in time otherwise; at once when none are asked for.
  void await_replicas(std::function<void(std::optional<Error>)> then);

  redis::RedisClient& redis_;
  RedisKeys keys_;
  std::chrono::seconds idempotency_ttl_;
  int min_replicas_ack_;
  std::chrono::milliseconds replica_ack_timeout_;
  std::size_t events_max_;
  redis::Script enqueue_once_;
  LogThrottle warnings_;
};

}  // namespace opsdb
