#pragma once

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/status/transaction_status.hpp"

namespace opsdb::redis {
class RedisClient;
}

namespace opsdb {

/// The buffer's figures and the status of one transaction, read from Redis.
class RedisBufferInspector final : public BufferInspector {
 public:
  RedisBufferInspector(redis::RedisClient& redis, const BufferOptions& options, const Clock& clock);

  void stats(Callback<BufferStats> done) override;
  void status(const std::string& transaction_id, Callback<TransactionStatus> done) override;

 private:
  redis::RedisClient& redis_;
  const Clock& clock_;
  RedisKeys keys_;
};

}  // namespace opsdb
