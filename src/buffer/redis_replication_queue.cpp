#include "opsdb/buffer/redis_replication_queue.hpp"

#include "opsdb/buffer/embedded_lua.hpp"
#include "opsdb/buffer/transaction_caches.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {

RedisReplicationQueue::RedisReplicationQueue(redis::RedisClient& redis,
                                             const BufferOptions& options, const Clock& clock)
    : redis_(redis),
      options_(options),
      clock_(clock),
      keys_(options.site_name),
      mark_replicated_(redis, with_state_functions("mark_replicated")) {}

void RedisReplicationQueue::oldest(Callback<std::optional<AwaitingReplication>> done) {
  redis_.command({"ZRANGE", keys_.awaiting_replication(), "0", "0", "WITHSCORES"},
                 [this, done = std::move(done)](redis::Result r) {
                   if (!r.ok()) return done(redis::to_error(r));
                   if (r.reply.elements.size() < 2)
                     return done(std::optional<AwaitingReplication>{});
                   const auto& id = r.reply.elements[0].str;
                   const Lsn lsn(static_cast<std::uint64_t>(std::stod(r.reply.elements[1].str)));
                   redis_.command({"HGET", keys_.status(id), "applied_at"},
                                  [done, lsn](redis::Result h) {
                                    if (!h.ok()) return done(redis::to_error(h));
                                    done(std::optional<AwaitingReplication>{
                                        AwaitingReplication{lsn, parse_timestamp(h.reply.str)}});
                                  });
                 });
}

void RedisReplicationQueue::up_to(Lsn lsn, std::size_t limit,
                                  Callback<std::vector<std::string>> done) {
  redis_.command({"ZRANGEBYSCORE", keys_.awaiting_replication(), "-inf",
                  std::to_string(lsn.value()), "LIMIT", "0", std::to_string(limit)},
                 [done = std::move(done)](redis::Result r) {
                   if (!r.ok()) return done(redis::to_error(r));
                   std::vector<std::string> ids;
                   for (auto& e : r.reply.elements) ids.push_back(std::move(e.str));
                   done(std::move(ids));
                 });
}

void RedisReplicationQueue::mark_replicated(std::vector<std::string> ids, Callback<void> done) {
  auto shared_ids = std::make_shared<std::vector<std::string>>(std::move(ids));
  TransactionCaches::read(
      redis_, keys_, *shared_ids,
      [this, shared_ids,
       done = std::move(done)](Result<std::vector<TransactionCaches>> caches) mutable {
        if (!caches.ok()) return done(caches.error());
        // The bulk of the caches goes first, in bounded chunks; the script then only marks the
        // transactions and deletes the overlays no later write touched.
        auto all = std::make_shared<std::vector<TransactionCaches>>(std::move(*caches));
        TransactionCaches::delete_records_and_index(
            redis_, *all,
            [this, shared_ids, all, done = std::move(done)](Result<void> deleted) mutable {
              if (!deleted.ok()) return done(deleted.error());
              run_mark_replicated(*shared_ids, *all, std::move(done));
            });
      });
}

void RedisReplicationQueue::run_mark_replicated(const std::vector<std::string>& ids,
                                                const std::vector<TransactionCaches>& caches,
                                                Callback<void> done) {
  std::vector<std::string> keys{keys_.awaiting_replication(), keys_.events()};
  std::vector<std::string> args{std::to_string(options_.status_ttl.count()),
                                format_timestamp(clock_.now()), std::to_string(options_.events_max),
                                std::to_string(ids.size())};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    caches[i].overlays_only().append_group(keys_.status(ids[i]), ids[i], keys, args);
  }
  mark_replicated_.run(std::move(keys), std::move(args), [done = std::move(done)](redis::Result r) {
    if (!r.ok()) return done(redis::to_error(r));
    done({});
  });
}

}  // namespace opsdb
