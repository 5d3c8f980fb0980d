#pragma once

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/status/transaction_status.hpp"
#include "opsdb/tx/write_journal.hpp"

namespace opsdb::redis {
class RedisClient;
}

namespace opsdb {

/// The buffer's figures and the status of one transaction, read from Redis. A transaction still
/// waiting in the local journal (`journal`, when the site has one) is "journaled", whether or not
/// Redis answers.
class RedisBufferInspector final : public BufferInspector {
 public:
  RedisBufferInspector(redis::RedisClient& redis, const BufferOptions& options, const Clock& clock,
                       const WriteJournal* journal = nullptr);

  void stats(Callback<BufferStats> done) override;
  void status(const std::string& transaction_id, Callback<TransactionStatus> done) override;

 private:
  redis::RedisClient& redis_;
  const Clock& clock_;
  RedisKeys keys_;
  const WriteJournal* journal_;
};

}  // namespace opsdb
