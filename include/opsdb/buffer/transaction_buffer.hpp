#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/core/error.hpp"
#include "opsdb/processor/drain_queue.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb::redis {
class RedisClient;
}

namespace opsdb {

/// The durable transaction buffer of a secondary site, in Redis (DESIGN §5): atomic enqueue with
/// the record caches, index entries and read-buffer overlays of each write; the drain's queue
/// operations; transaction status; the dead-letter queue and its admin operations.
class TransactionBuffer final : public DrainQueue {
 public:
  /// Result of a client-facing operation: a JSON document or the error to answer with.
  using Reply = std::function<void(std::optional<ApiError> error, nlohmann::json doc)>;

  TransactionBuffer(redis::RedisClient& redis, const Config& config, const Clock& clock);

  /// Buffers a transaction in one MULTI/EXEC. `done` gets nullopt once Redis confirmed it.
  void enqueue(const Transaction& tx, std::function<void(std::optional<ApiError>)> done);

  /// Removes the caches of replicated transactions and gives their status the final TTL.
  void mark_replicated(std::vector<std::string> ids, Done done);

  /// The smallest LSN still awaiting replication and its transaction's applied_at, if any.
  void oldest_awaiting(
      std::function<void(std::optional<std::pair<std::uint64_t, std::string>>, std::string)> done);
  /// Transactions awaiting replication with LSN <= `lsn` (at most `limit`).
  void awaiting_up_to(std::uint64_t lsn, std::size_t limit,
                      std::function<void(std::vector<std::string>, std::string)> done);

  void status(const std::string& tx_id, Reply done);
  void stats(Reply done);
  void failed(std::size_t limit, Reply done);
  void replay(const std::string& tx_id, Reply done);
  void resolve(const std::string& tx_id, const std::string& reason, Reply done);

  /// Gives the drain lease up if this process holds it (clean shutdown).
  void release_lease(Done done);

  // DrainQueue
  void acquire_lease(std::function<void(bool, std::string)> done) override;
  void peek_oldest(std::size_t skip, std::size_t count,
                   std::function<void(std::vector<std::string>, std::string)> done) override;
  void mark_applied(std::vector<std::string> docs, std::vector<std::string> ids, Lsn lsn,
                    Done done) override;
  void count_failure(const std::string& id, const std::string& error,
                     std::function<void(int, std::string)> done) override;
  void dead_letter(std::string doc, std::string id, std::string error, int attempts,
                   Done done) override;

 private:
  std::vector<std::vector<std::string>> enqueue_commands(const Transaction& tx,
                                                         const std::string& doc) const;
  void find_failed(const std::string& tx_id,
                   std::function<void(std::optional<std::string> entry, std::string error)> done);

  redis::RedisClient& redis_;
  const Config& config_;
  const Clock& clock_;
  RedisKeys keys_;
  std::string instance_;  // identifies this process as lease holder
};

}  // namespace opsdb
