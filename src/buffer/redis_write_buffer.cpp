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
      min_replicas_ack_(options.min_replicas_ack),
      replica_ack_timeout_(options.replica_ack_timeout),
      events_max_(options.events_max),
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
  for (auto& command : enqueue_commands(keys_, tx, events_max_))
    words.push_back(std::move(command).words());
  redis_.transaction(std::move(words), [this, done = std::move(done)](redis::Result r) {
    if (!r.ok()) return done(not_taken(r));
    await_replicas([done](std::optional<Error> unconfirmed) {
      if (unconfirmed) return done(std::move(*unconfirmed));
      done({});
    });
  });
}

void RedisWriteBuffer::await_replicas(std::function<void(std::optional<Error>)> then) {
  if (min_replicas_ack_ == 0) return then(std::nullopt);
  // WAIT counts the replicas that acknowledged every write of this connection so far: the
  // transaction just confirmed and any sent before it.
  redis_.command(
      {"WAIT", std::to_string(min_replicas_ack_), std::to_string(replica_ack_timeout_.count())},
      [this, then = std::move(then)](redis::Result r) {
        if (r.ok() && r.reply.type == redis::Reply::Type::integer &&
            r.reply.integer >= min_replicas_ack_) {
          return then(std::nullopt);
        }
        const auto wanted = std::to_string(min_replicas_ack_);
        std::string why = r.ok() ? std::to_string(r.reply.integer) + " of the " + wanted +
                                       " replicas required confirmed it within " +
                                       std::to_string(replica_ack_timeout_.count()) + " ms"
                                 : "the confirmation of its replicas did not arrive (" +
                                       redis::to_error(r).message + ")";
        if (auto held_back = warnings_.allow()) {
          spdlog::warn("a write is on the Redis master but {} ({} more since the last such line)",
                       why, *held_back);
        }
        then(Error{Fault::outcome_unknown, "buffered on the Redis master, but " + why,
                   std::string(kReplicasUnconfirmed)});
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
  auto commands = enqueue_commands(keys_, tx, events_max_);
  args.push_back(std::to_string(commands.size()));
  for (auto& command : commands) {
    args.push_back(std::move(command.name));
    args.push_back(std::to_string(command.keys.size()));
    args.push_back(std::to_string(command.args.size()));
    for (auto& key : command.keys) keys.push_back(std::move(key));
    for (auto& arg : command.args) args.push_back(std::move(arg));
  }
  enqueue_once_.run(
      std::move(keys), std::move(args), [this, done = std::move(done)](redis::Result r) {
        if (!r.ok()) return done(not_taken(r));
        std::optional<std::string> recorded;
        if (r.reply.type == redis::Reply::Type::string) recorded = r.reply.str;
        // Also when nothing was buffered now: the one buffered before may not be on the replicas
        // yet.
        await_replicas([done, recorded = std::move(recorded)](std::optional<Error> unconfirmed) {
          if (unconfirmed) return done(std::move(*unconfirmed));
          done(recorded);
        });
      });
}

}  // namespace opsdb
