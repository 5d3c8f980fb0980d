#pragma once

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/processor/drain_queue.hpp"
#include "opsdb/redis/script.hpp"

namespace opsdb {

class TransactionCaches;

/// The buffer in Redis as the drain works on it: the single-drainer lease (held under
/// `lease_identity`), reads from the oldest end, and the scripts that remove applied or
/// dead-lettered transactions only while the lease is held and they are still the oldest.
class RedisDrainQueue final : public DrainQueue {
 public:
  RedisDrainQueue(redis::RedisClient& redis, const BufferOptions& options, const Clock& clock);

  void acquire_lease(Callback<bool> done) override;
  void peek_oldest(std::size_t skip, std::size_t count, std::size_t max_bytes,
                   Callback<std::vector<std::string>> done) override;
  void mark_applied(std::vector<std::string> docs, std::vector<std::string> ids, Lsn lsn,
                    Callback<void> done) override;
  void count_failure(const std::string& id, const std::string& error, Callback<int> done) override;
  void dead_letter(std::string doc, std::string id, std::string error, int attempts,
                   Callback<void> done) override;
  void release_lease(Callback<void> done) override;

 private:
  void run_mark_applied(std::vector<std::string> docs, std::vector<std::string> ids, Lsn lsn,
                        const std::vector<TransactionCaches>& caches, Callback<void> done);

  redis::RedisClient& redis_;
  BufferOptions options_;
  const Clock& clock_;
  RedisKeys keys_;
  redis::Script acquire_lease_;
  redis::Script release_lease_;
  redis::Script peek_oldest_;
  redis::Script mark_applied_;
  redis::Script count_failure_;
  redis::Script dead_letter_;
};

}  // namespace opsdb
