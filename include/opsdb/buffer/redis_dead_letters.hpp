#pragma once

#include <functional>
#include <optional>

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/redis/command.hpp"
#include "opsdb/redis/script.hpp"
#include "opsdb/status/transaction_status.hpp"

namespace opsdb {

/// The dead-letter queue in Redis. A replay or a resolve takes its entry off the queue and does
/// its work in one script, so it either happens whole or not at all, and of two operators acting
/// on one transaction exactly one wins.
class RedisDeadLetters final : public DeadLetters {
 public:
  RedisDeadLetters(redis::RedisClient& redis, const BufferOptions& options, const Clock& clock);

  void list(std::size_t limit, Callback<std::vector<FailedTransaction>> done) override;
  void replay(const std::string& transaction_id, Callback<void> done) override;
  void resolve(const std::string& transaction_id, const std::string& reason,
               Callback<void> done) override;

 private:
  void find(const std::string& transaction_id,
            std::function<void(Result<std::optional<std::string>> entry)> done);
  void take(const std::string& transaction_id, const std::string& entry,
            std::vector<redis::Command> commands, Callback<void> done);

  redis::RedisClient& redis_;
  BufferOptions options_;
  const Clock& clock_;
  RedisKeys keys_;
  redis::Script take_failed_;
};

}  // namespace opsdb
