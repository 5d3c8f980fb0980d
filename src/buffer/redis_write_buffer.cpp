#include "opsdb/buffer/redis_write_buffer.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/buffer/enqueue_commands.hpp"
#include "opsdb/redis/redis_client.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {

RedisWriteBuffer::RedisWriteBuffer(redis::RedisClient& redis, const BufferOptions& options)
    : redis_(redis), keys_(options.site_name) {}

void RedisWriteBuffer::enqueue(const Transaction& tx, Callback<void> done) {
  std::vector<std::vector<std::string>> words;
  for (auto& command : enqueue_commands(keys_, tx)) words.push_back(std::move(command).words());
  redis_.transaction(std::move(words), [done = std::move(done)](redis::Result r) {
    if (!r.ok()) {
      auto error = redis::to_error(r);
      spdlog::warn("transaction buffer unavailable: {}", error.message);
      return done(std::move(error));
    }
    done({});
  });
}

}  // namespace opsdb
