#pragma once

#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/query/buffered_records.hpp"

namespace opsdb::redis {
class RedisClient;
}

namespace opsdb {

/// Buffered records, overlays and index sets as enqueue wrote them (DESIGN §5), read with one
/// MULTI/EXEC per call.
class RedisBufferedRecords final : public BufferedRecords {
 public:
  RedisBufferedRecords(redis::RedisClient& redis, RedisKeys keys)
      : redis_(redis), keys_(std::move(keys)) {}

  void records(std::vector<RecordRef> refs, Callback<std::vector<BufferedRecord>> done) override;
  void indexes(std::vector<IndexRange> ranges,
               Callback<std::vector<std::vector<IndexEntry>>> done) override;

 private:
  redis::RedisClient& redis_;
  RedisKeys keys_;
};

}  // namespace opsdb
