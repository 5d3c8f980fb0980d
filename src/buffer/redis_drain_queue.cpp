#include "opsdb/buffer/redis_drain_queue.hpp"

#include <nlohmann/json.hpp>

#include "opsdb/buffer/embedded_lua.hpp"
#include "opsdb/buffer/transaction_caches.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {
namespace {

// Completes `done` with success or the call's Error.
auto status_of(Callback<void> done) {
  return [done = std::move(done)](redis::Result r) {
    if (!r.ok()) return done(redis::to_error(r));
    done({});
  };
}

}  // namespace

RedisDrainQueue::RedisDrainQueue(redis::RedisClient& redis, const BufferOptions& options,
                                 const Clock& clock)
    : redis_(redis),
      options_(options),
      clock_(clock),
      keys_(options.site_name),
      acquire_lease_(redis, embedded_lua("acquire_lease")),
      release_lease_(redis, embedded_lua("release_lease")),
      peek_oldest_(redis, embedded_lua("peek_oldest")),
      mark_applied_(redis, with_state_functions("mark_applied")),
      count_failure_(redis, embedded_lua("count_failure")),
      dead_letter_(redis, with_state_functions("dead_letter")) {}

void RedisDrainQueue::acquire_lease(Callback<bool> done) {
  acquire_lease_.run({keys_.processor_lock()},
                     {options_.lease_identity, std::to_string(options_.lease_ttl.count())},
                     [done = std::move(done)](redis::Result r) {
                       if (!r.ok()) return done(redis::to_error(r));
                       done(r.reply.integer == 1);
                     });
}

void RedisDrainQueue::release_lease(Callback<void> done) {
  release_lease_.run({keys_.processor_lock()}, {options_.lease_identity},
                     status_of(std::move(done)));
}

void RedisDrainQueue::peek_oldest(std::size_t skip, std::size_t count, std::size_t max_bytes,
                                  Callback<std::vector<std::string>> done) {
  peek_oldest_.run({keys_.buffer()},
                   {std::to_string(skip), std::to_string(count), std::to_string(max_bytes)},
                   [done = std::move(done)](redis::Result r) {
                     if (!r.ok()) return done(redis::to_error(r));
                     std::vector<std::string> docs;
                     docs.reserve(r.reply.elements.size());
                     for (auto& e : r.reply.elements) docs.push_back(std::move(e.str));
                     done(std::move(docs));
                   });
}

void RedisDrainQueue::mark_applied(std::vector<std::string> docs, std::vector<std::string> ids,
                                   Lsn lsn, Callback<void> done) {
  // Tracked writes keep their caches until the replica has them; untracked ones lose them now,
  // so the script must be told which keys they are.
  if (options_.lsn_tracking_enabled) {
    const std::vector<TransactionCaches> none(ids.size());
    return run_mark_applied(std::move(docs), std::move(ids), lsn, none, std::move(done));
  }
  auto shared_ids = std::make_shared<std::vector<std::string>>(std::move(ids));
  TransactionCaches::read(
      redis_, keys_, *shared_ids,
      [this, docs = std::move(docs), shared_ids, lsn,
       done = std::move(done)](Result<std::vector<TransactionCaches>> caches) mutable {
        if (!caches.ok()) return done(caches.error());
        run_mark_applied(std::move(docs), std::move(*shared_ids), lsn, *caches, std::move(done));
      });
}

void RedisDrainQueue::run_mark_applied(std::vector<std::string> docs, std::vector<std::string> ids,
                                       Lsn lsn, const std::vector<TransactionCaches>& caches,
                                       Callback<void> done) {
  std::vector<std::string> keys{keys_.buffer(), keys_.processor_lock(),
                                keys_.awaiting_replication(), keys_.events()};
  std::vector<std::string> args{options_.lease_identity,
                                std::to_string(lsn.value()),
                                lsn.to_string(),
                                format_timestamp(clock_.now()),
                                options_.lsn_tracking_enabled ? "1" : "0",
                                std::to_string(options_.status_ttl.count()),
                                std::to_string(options_.events_max),
                                std::to_string(docs.size())};
  for (auto& d : docs) args.push_back(std::move(d));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    caches[i].append_group(keys_.status(ids[i]), ids[i], keys, args);
  }
  mark_applied_.run(std::move(keys), std::move(args), status_of(std::move(done)));
}

void RedisDrainQueue::count_failure(const std::string& id, const std::string& error,
                                    Callback<int> done) {
  count_failure_.run({keys_.processor_lock(), keys_.status(id)}, {options_.lease_identity, error},
                     [done = std::move(done)](redis::Result r) {
                       if (!r.ok()) return done(redis::to_error(r));
                       done(static_cast<int>(r.reply.integer));
                     });
}

void RedisDrainQueue::dead_letter(std::string doc, std::string id, std::string error, int attempts,
                                  Callback<void> done) {
  const auto failed_at = format_timestamp(clock_.now());
  nlohmann::json entry = {{"transaction_id", id},
                          {"transaction", nlohmann::json::parse(doc, nullptr, false)},
                          {"error", error},
                          {"attempts", attempts},
                          {"failed_at", failed_at}};
  if (entry["transaction"].is_discarded()) entry["transaction"] = doc;  // keep even garbage
  TransactionCaches::read(
      redis_, keys_, {id},
      [this, doc = std::move(doc), id, error = std::move(error), attempts, entry = entry.dump(),
       failed_at, done = std::move(done)](Result<std::vector<TransactionCaches>> caches) mutable {
        if (!caches.ok()) return done(caches.error());
        std::vector<std::string> keys{keys_.buffer(), keys_.processor_lock(), keys_.failed(),
                                      keys_.failed_by_id(), keys_.events()};
        std::vector<std::string> args{options_.lease_identity,
                                      std::move(doc),
                                      std::move(entry),
                                      error,
                                      std::to_string(attempts),
                                      std::to_string(options_.events_max),
                                      failed_at};
        caches->front().append_group(keys_.status(id), id, keys, args);
        dead_letter_.run(std::move(keys), std::move(args), status_of(std::move(done)));
      });
}

}  // namespace opsdb
