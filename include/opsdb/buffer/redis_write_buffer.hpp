#pragma once

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/tx/write_buffer.hpp"

namespace opsdb::redis {
class RedisClient;
}

namespace opsdb {

/// The write path's buffer in Redis: each transaction goes in with its caches, index entries,
/// overlays, status hash and event in one MULTI/EXEC.
class RedisWriteBuffer final : public WriteBuffer {
 public:
  RedisWriteBuffer(redis::RedisClient& redis, const BufferOptions& options);
  void enqueue(const Transaction& tx, Callback<void> done) override;

 private:
  redis::RedisClient& redis_;
  RedisKeys keys_;
};

}  // namespace opsdb
