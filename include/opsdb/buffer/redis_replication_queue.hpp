#pragma once

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/buffer/transaction_caches.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/processor/replication_queue.hpp"
#include "opsdb/redis/script.hpp"

namespace opsdb {

/// The transactions awaiting replication in Redis: a sorted set scored by commit LSN, and the
/// script that marks them replicated and deletes their caches.
class RedisReplicationQueue final : public ReplicationQueue {
 public:
  RedisReplicationQueue(redis::RedisClient& redis, const BufferOptions& options,
                        const Clock& clock);

  void oldest(Callback<std::optional<AwaitingReplication>> done) override;
  void up_to(Lsn lsn, std::size_t limit, Callback<std::vector<std::string>> done) override;
  void mark_replicated(std::vector<std::string> ids, Callback<void> done) override;

 private:
  void run_mark_replicated(const std::vector<std::string>& ids,
                           const std::vector<TransactionCaches>& caches, Callback<void> done);

  redis::RedisClient& redis_;
  BufferOptions options_;
  const Clock& clock_;
  RedisKeys keys_;
  redis::Script mark_replicated_;
};

}  // namespace opsdb
