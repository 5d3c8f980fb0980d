#pragma once

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/redis/script.hpp"
#include "opsdb/tx/write_buffer.hpp"

namespace opsdb {

/// The write path's buffer in Redis: each transaction goes in with its caches, index entries,
/// overlays, status hash and event in one MULTI/EXEC — or, for the transaction of an
/// Idempotency-Key, in one script that first checks and sets the key's marker.
class RedisWriteBuffer final : public WriteBuffer {
 public:
  RedisWriteBuffer(redis::RedisClient& redis, const BufferOptions& options);
  void enqueue(const Transaction& tx, Callback<void> done) override;
  void enqueue_once(const Transaction& tx, const std::string& request_hash,
                    Callback<std::optional<std::string>> done) override;

 private:
  redis::RedisClient& redis_;
  RedisKeys keys_;
  std::chrono::seconds idempotency_ttl_;
  redis::Script enqueue_once_;
};

}  // namespace opsdb
