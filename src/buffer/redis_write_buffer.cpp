#include "opsdb/buffer/redis_write_buffer.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/buffer/embedded_lua.hpp"
#include "opsdb/buffer/enqueue_commands.hpp"
#include "opsdb/redis/redis_client.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {

RedisWriteBuffer::RedisWriteBuffer(redis::RedisClient& redis, const BufferOptions& options)
    : redis_(redis),
      keys_(options.site_name),
      idempotency_ttl_(options.idempotency_ttl),
      enqueue_once_(redis, embedded_lua("enqueue_once")) {}

Error RedisWriteBuffer::not_taken(const redis::Result& result) {
  auto error = redis::to_error(result);
  if (auto held_back = warnings_.allow()) {
    spdlog::warn("transaction buffer did not take a write: {} ({} more since the last such line)",
                 error.message, *held_back);
  }
  return error;
}

void RedisWriteBuffer::enqueue(const Transaction& tx, Callback<void> done) {
  std::vector<std::vector<std::string>> words;
  for (auto& command : enqueue_commands(keys_, tx)) words.push_back(std::move(command).words());
  redis_.transaction(std::move(words), [this, done = std::move(done)](redis::Result r) {
    if (!r.ok()) return done(not_taken(r));
    done({});
  });
}

void RedisWriteBuffer::enqueue_once(const Transaction& tx, const std::string& request_hash,
                                    Callback<std::optional<std::string>> done) {
  enqueue_guarded(tx, keys_.idempotency(tx.id), request_hash, std::move(done));
}

void RedisWriteBuffer::enqueue_absent(const Transaction& tx, Callback<bool> done) {
  enqueue_guarded(tx, keys_.status(tx.id), "",
                  [done = std::move(done)](Result<std::optional<std::string>> r) {
                    if (!r.ok()) return done(r.error());
                    done(!r->has_value());
                  });
}

void RedisWriteBuffer::enqueue_guarded(const Transaction& tx, std::string guard,
                                       const std::string& request_hash,
                                       Callback<std::optional<std::string>> done) {
  std::vector<std::string> keys{std::move(guard)};
  std::vector<std::string> args{request_hash, std::to_string(idempotency_ttl_.count())};
  auto commands = enqueue_commands(keys_, tx);
  args.push_back(std::to_string(commands.size()));
  for (auto& command : commands) {
    args.push_back(std::move(command.name));
    args.push_back(std::to_string(command.keys.size()));
    args.push_back(std::to_string(command.args.size()));
    for (auto& key : command.keys) keys.push_back(std::move(key));
    for (auto& arg : command.args) args.push_back(std::move(arg));
  }
  enqueue_once_.run(std::move(keys), std::move(args), [this, done = std::move(done)](redis::Result r) {
    if (!r.ok()) return done(not_taken(r));
    if (r.reply.type == redis::Reply::Type::string) {
      return done(std::optional<std::string>(r.reply.str));
    }
    done(std::optional<std::string>());
  });
}

}  // namespace opsdb
