#include "opsdb/buffer/transaction_buffer.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>


#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/redis/redis_client.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

using redis::Result;

// The drain lease outlives a crashed holder by this long before another process may take it.
constexpr auto kLeaseMs = "30000";

// Removes the cache entries a transaction wrote at enqueue (listed in its status hash) and
// returns the status key. Overlays are removed only if no later transaction touched them.
// Scripts touch keys derived from their arguments: fine on a single Redis, not on a cluster.
constexpr const char* kCleanFunction = R"lua(
local function clean(prefix, id)
  local status = prefix .. 'transaction:' .. id
  local spec = redis.call('HGET', status, 'cache_keys')
  if spec then
    local c = cjson.decode(spec)
    for _, k in ipairs(c.records) do redis.call('DEL', k) end
    for _, p in ipairs(c.index) do redis.call('SREM', p[1], p[2]) end
    for _, k in ipairs(c.overlays) do
      if redis.call('HGET', k, '_last_tx') == id then redis.call('DEL', k) end
    end
    redis.call('HDEL', status, 'cache_keys')
  end
  return status
end
)lua";

// KEYS: buffer, lock, awaiting. ARGV: instance, lsn score, lsn, applied_at, track, ttl, prefix,
// n, doc_1..doc_n (oldest first), id_1..id_n.
constexpr const char* kMarkApplied = R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('LEASE lost') end
local n = tonumber(ARGV[8])
local tail = redis.call('LRANGE', KEYS[1], -n, -1)
if #tail ~= n then return redis.error_reply('MISMATCH buffer shorter than batch') end
for i = 1, n do
  if tail[n - i + 1] ~= ARGV[8 + i] then return redis.error_reply('MISMATCH buffer tail changed') end
end
redis.call('RPOP', KEYS[1], n)
for i = 1, n do
  local id = ARGV[8 + n + i]
  local status = ARGV[7] .. 'transaction:' .. id
  redis.call('HSET', status, 'state', 'applied', 'lsn', ARGV[3], 'applied_at', ARGV[4])
  if ARGV[5] == '1' then
    redis.call('ZADD', KEYS[3], ARGV[2], id)
  else
    clean(ARGV[7], id)
    redis.call('EXPIRE', status, ARGV[6])
  end
end
redis.call('PUBLISH', ARGV[7] .. 'events',
  cjson.encode({event = 'applied', count = n, lsn = ARGV[3], at = ARGV[4]}))
return n
)lua";

// KEYS: buffer, lock, failed. ARGV: instance, doc, id, entry, prefix, error, attempts.
constexpr const char* kDeadLetter = R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('LEASE lost') end
if redis.call('LINDEX', KEYS[1], -1) ~= ARGV[2] then
  return redis.error_reply('MISMATCH buffer tail changed')
end
redis.call('RPOP', KEYS[1])
redis.call('LPUSH', KEYS[3], ARGV[4])
local status = clean(ARGV[5], ARGV[3])
redis.call('HSET', status, 'state', 'failed', 'error', ARGV[6], 'attempts', ARGV[7])
redis.call('PUBLISH', ARGV[5] .. 'events',
  cjson.encode({event = 'failed', transaction_id = ARGV[3], error = ARGV[6]}))
return 1
)lua";

// KEYS: awaiting. ARGV: prefix, ttl, replicated_at, id_1..id_n.
constexpr const char* kMarkReplicated = R"lua(
for i = 4, #ARGV do
  local status = clean(ARGV[1], ARGV[i])
  redis.call('HSET', status, 'state', 'replicated', 'replicated_at', ARGV[3])
  redis.call('EXPIRE', status, ARGV[2])
  redis.call('ZREM', KEYS[1], ARGV[i])
end
redis.call('PUBLISH', ARGV[1] .. 'events',
  cjson.encode({event = 'replicated', count = #ARGV - 3, at = ARGV[3]}))
return #ARGV - 3
)lua";

// KEYS: lock. ARGV: instance.
constexpr const char* kReleaseLease = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// KEYS: failed. ARGV: entry, then commands, each as its argument count followed by the
// arguments. Runs the commands only if this call removed `entry` from the dead-letter queue,
// so two operators acting on one failed transaction cannot both succeed.
constexpr const char* kTakeFailed = R"lua(
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1
)lua";

// KEYS: lock. ARGV: instance, ttl ms.
constexpr const char* kLease = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
)lua";

std::string describe(const Result& r) {
  return std::string(redis::to_string(r.error)) + (r.message.empty() ? "" : ": " + r.message);
}

ApiError unavailable(const Result& r) {
  spdlog::warn("transaction buffer unavailable: {}", describe(r));
  return ApiError(ErrorKind::unavailable,
                  "the transaction buffer (Redis) is unavailable; the write was not accepted");
}

std::string value_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::vector<std::string> eval(const char* script, std::vector<std::string> keys,
                              std::vector<std::string> args, bool with_clean = false) {
  std::vector<std::string> cmd{"EVAL", with_clean ? std::string(kCleanFunction) + script : script,
                               std::to_string(keys.size())};
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  return cmd;
}

nlohmann::json hash_to_json(const redis::Reply& reply) {
  nlohmann::json doc = nlohmann::json::object();
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    doc[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  return doc;
}

// The lease holder's name: host and HTTP port. Two live servers cannot share both, and a server
// restarted in place is the same drainer, so it takes its lease back at once after a crash.
std::string lease_identity(const Config& config) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  if (config.http_port == 0) return std::string(host) + ":" + new_uuid();
  return std::string(host) + ":" + std::to_string(config.http_port);
}

// The command list of kTakeFailed.
std::vector<std::string> take_failed(const std::string& failed_key, const std::string& entry,
                                     const std::vector<std::vector<std::string>>& cmds) {
  std::vector<std::string> command{"EVAL", kTakeFailed, "1", failed_key, entry};
  for (const auto& c : cmds) {
    command.push_back(std::to_string(c.size()));
    command.insert(command.end(), c.begin(), c.end());
  }
  return command;
}

}  // namespace

TransactionBuffer::TransactionBuffer(redis::RedisClient& redis, const Config& config,
                                     const Clock& clock)
    : redis_(redis),
      config_(config),
      clock_(clock),
      keys_(config.site_name),
      instance_(lease_identity(config)) {}

std::vector<std::vector<std::string>> TransactionBuffer::enqueue_commands(
    const Transaction& tx, const std::string& doc) const {
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"LPUSH", keys_.buffer(), doc});
  nlohmann::json records = nlohmann::json::array();
  nlohmann::json index = nlohmann::json::array();
  nlohmann::json overlays = nlohmann::json::array();
  const auto& registry = SchemaRegistry::instance();
  auto cache_row = [&](const Table& table, const nlohmann::json& row) {
    const std::string id = row.at("id").get<std::string>();
    auto key = keys_.record(table.name, id);
    cmds.push_back({"SET", key, row.dump()});
    records.push_back(key);
    for (const auto& column : table.columns) {
      if (!column.indexed || !row.contains(column.name) || row[column.name].is_null()) continue;
      auto index_key = keys_.index(table.name, column.name, value_text(row[column.name]));
      cmds.push_back({"SADD", index_key, id});
      index.push_back({index_key, id});
    }
  };
  for (const auto& step : tx.steps) {
    const Table& table = *registry.table(step.table);
    switch (step.op) {
      case Step::Op::insert:
        cache_row(table, step.row);
        break;
      case Step::Op::insert_many:
        for (const auto& row : step.rows) cache_row(table, row);
        break;
      case Step::Op::update: {
        auto key = keys_.overlay(table.name, step.id);
        std::vector<std::string> hset{"HSET", key};
        for (const auto& [column, value] : step.set.items()) {
          hset.push_back(column);
          hset.push_back(value.dump());
        }
        hset.push_back("_last_tx");
        hset.push_back(tx.id);
        cmds.push_back(std::move(hset));
        overlays.push_back(key);
        break;
      }
    }
  }
  nlohmann::json cache_keys = {{"records", records}, {"index", index}, {"overlays", overlays}};
  cmds.push_back({"HSET", keys_.status(tx.id), "state", "buffered", "attempts", "0", "created_at",
                  tx.created_at, "origin", tx.origin, "error", "", "cache_keys",
                  cache_keys.dump()});
  nlohmann::json event = {{"event", "buffered"},
                          {"transaction_id", tx.id},
                          {"origin", tx.origin},
                          {"at", tx.created_at}};
  cmds.push_back({"PUBLISH", keys_.events(), event.dump()});
  return cmds;
}

void TransactionBuffer::enqueue(const Transaction& tx,
                                std::function<void(std::optional<ApiError>)> done) {
  redis_.transaction(enqueue_commands(tx, tx.to_json().dump()), [done = std::move(done)](Result r) {
    if (!r.ok()) {
      done(unavailable(r));
      return;
    }
    done(std::nullopt);
  });
}

void TransactionBuffer::acquire_lease(std::function<void(bool, std::string)> done) {
  redis_.command(eval(kLease, {keys_.processor_lock()}, {instance_, kLeaseMs}),
                 [done = std::move(done)](Result r) {
                   if (!r.ok()) return done(false, describe(r));
                   done(r.reply.integer == 1, "");
                 });
}

void TransactionBuffer::release_lease(Done done) {
  redis_.command(eval(kReleaseLease, {keys_.processor_lock()}, {instance_}),
                 [done = std::move(done)](Result r) { done(r.ok() ? "" : describe(r)); });
}

void TransactionBuffer::peek_oldest(
    std::size_t skip, std::size_t count,
    std::function<void(std::vector<std::string>, std::string)> done) {
  redis_.command({"LRANGE", keys_.buffer(), "-" + std::to_string(skip + count),
                  "-" + std::to_string(skip + 1)},
                 [done = std::move(done)](Result r) {
                   if (!r.ok()) return done({}, describe(r));
                   std::vector<std::string> docs;
                   // The list runs newest → oldest; the drain wants oldest first.
                   for (auto it = r.reply.elements.rbegin(); it != r.reply.elements.rend(); ++it) {
                     docs.push_back(std::move(it->str));
                   }
                   done(std::move(docs), "");
                 });
}

void TransactionBuffer::mark_applied(std::vector<std::string> docs, std::vector<std::string> ids,
                                     Lsn lsn, Done done) {
  std::vector<std::string> args{instance_,
                                std::to_string(lsn.value()),
                                lsn.to_string(),
                                format_timestamp(clock_.now()),
                                config_.lsn_tracking_enabled ? "1" : "0",
                                std::to_string(config_.transaction_status_ttl.count()),
                                keys_.prefix(),
                                std::to_string(docs.size())};
  for (auto& d : docs) args.push_back(std::move(d));
  for (auto& id : ids) args.push_back(std::move(id));
  redis_.command(
      eval(kMarkApplied, {keys_.buffer(), keys_.processor_lock(), keys_.awaiting_replication()},
           std::move(args), true),
      [done = std::move(done)](Result r) { done(r.ok() ? "" : describe(r)); });
}

void TransactionBuffer::count_failure(const std::string& id, const std::string& error,
                                      std::function<void(int, std::string)> done) {
  redis_.transaction(
      {{"HINCRBY", keys_.status(id), "attempts", "1"}, {"HSET", keys_.status(id), "error", error}},
      [done = std::move(done)](Result r) {
        if (!r.ok() || r.reply.elements.empty()) return done(0, describe(r));
        done(static_cast<int>(r.reply.elements[0].integer), "");
      });
}

void TransactionBuffer::dead_letter(std::string doc, std::string id, std::string error,
                                    int attempts, Done done) {
  nlohmann::json entry = {{"transaction_id", id},
                          {"transaction", nlohmann::json::parse(doc, nullptr, false)},
                          {"error", error},
                          {"attempts", attempts},
                          {"failed_at", format_timestamp(clock_.now())}};
  if (entry["transaction"].is_discarded()) entry["transaction"] = doc;  // keep even garbage
  redis_.command(eval(kDeadLetter, {keys_.buffer(), keys_.processor_lock(), keys_.failed()},
                      {instance_, std::move(doc), id, entry.dump(), keys_.prefix(), error,
                       std::to_string(attempts)},
                      true),
                 [done = std::move(done)](Result r) { done(r.ok() ? "" : describe(r)); });
}

void TransactionBuffer::mark_replicated(std::vector<std::string> ids, Done done) {
  std::vector<std::string> args{keys_.prefix(),
                                std::to_string(config_.transaction_status_ttl.count()),
                                format_timestamp(clock_.now())};
  for (auto& id : ids) args.push_back(std::move(id));
  redis_.command(eval(kMarkReplicated, {keys_.awaiting_replication()}, std::move(args), true),
                 [done = std::move(done)](Result r) { done(r.ok() ? "" : describe(r)); });
}

void TransactionBuffer::oldest_awaiting(
    std::function<void(std::optional<std::pair<std::uint64_t, std::string>>, std::string)> done) {
  redis_.command({"ZRANGE", keys_.awaiting_replication(), "0", "0", "WITHSCORES"},
                 [this, done = std::move(done)](Result r) {
                   if (!r.ok()) return done(std::nullopt, describe(r));
                   if (r.reply.elements.size() < 2) return done(std::nullopt, "");
                   auto id = r.reply.elements[0].str;
                   auto score = static_cast<std::uint64_t>(std::stod(r.reply.elements[1].str));
                   redis_.command({"HGET", keys_.status(id), "applied_at"},
                                  [done, score](Result h) {
                                    if (!h.ok()) return done(std::nullopt, describe(h));
                                    done(std::make_pair(score, h.reply.str), "");
                                  });
                 });
}

void TransactionBuffer::awaiting_up_to(
    std::uint64_t lsn, std::size_t limit,
    std::function<void(std::vector<std::string>, std::string)> done) {
  redis_.command({"ZRANGEBYSCORE", keys_.awaiting_replication(), "-inf", std::to_string(lsn),
                  "LIMIT", "0", std::to_string(limit)},
                 [done = std::move(done)](Result r) {
                   if (!r.ok()) return done({}, describe(r));
                   std::vector<std::string> ids;
                   for (auto& e : r.reply.elements) ids.push_back(std::move(e.str));
                   done(std::move(ids), "");
                 });
}

void TransactionBuffer::status(const std::string& tx_id, Reply done) {
  redis_.command({"HGETALL", keys_.status(tx_id)}, [tx_id, done = std::move(done)](Result r) {
    if (!r.ok()) return done(unavailable(r), nullptr);
    if (r.reply.elements.empty()) {
      return done(ApiError(ErrorKind::not_found, "transaction " + tx_id +
                                                     " is unknown here (never buffered, or its "
                                                     "final status has expired)"),
                  nullptr);
    }
    auto h = hash_to_json(r.reply);
    auto text_or_null = [&](const char* field) {
      auto it = h.find(field);
      return it == h.end() || it->get<std::string>().empty() ? nlohmann::json(nullptr) : *it;
    };
    nlohmann::json doc = {{"transaction_id", tx_id},
                          {"state", h.value("state", "")},
                          {"attempts", std::stoi(h.value("attempts", "0"))},
                          {"lsn", text_or_null("lsn")},
                          {"error", text_or_null("error")},
                          {"origin", text_or_null("origin")},
                          {"created_at", text_or_null("created_at")},
                          {"applied_at", text_or_null("applied_at")},
                          {"replicated_at", text_or_null("replicated_at")},
                          {"resolution", text_or_null("resolution")}};
    done(std::nullopt, std::move(doc));
  });
}

void TransactionBuffer::stats(Reply done) {
  redis_.transaction({{"LLEN", keys_.buffer()},
                      {"LLEN", keys_.failed()},
                      {"ZCARD", keys_.awaiting_replication()},
                      {"LINDEX", keys_.buffer(), "-1"},
                      {"MEMORY", "USAGE", keys_.buffer()}},
                     [this, done = std::move(done)](Result r) {
                       if (!r.ok() || r.reply.elements.size() != 5) {
                         return done(unavailable(r), nullptr);
                       }
                       const auto& e = r.reply.elements;
                       nlohmann::json oldest = nullptr;
                       if (!e[3].is_nil()) {
                         auto doc = nlohmann::json::parse(e[3].str, nullptr, false);
                         if (doc.is_object() && doc.contains("created_at")) {
                           if (auto t = parse_timestamp(doc["created_at"].get<std::string>())) {
                             oldest = std::chrono::duration<double>(clock_.now() - *t).count();
                           }
                         }
                       }
                       done(std::nullopt, {{"pending_transactions", e[0].integer},
                                           {"failed_transactions", e[1].integer},
                                           {"awaiting_replication", e[2].integer},
                                           {"oldest_pending_seconds", oldest},
                                           {"buffer_size_mb", static_cast<double>(e[4].integer) /
                                                                  (1024.0 * 1024.0)}});
                     });
}

void TransactionBuffer::failed(std::size_t limit, Reply done) {
  redis_.command({"LRANGE", keys_.failed(), "0", std::to_string(limit - 1)},
                 [done = std::move(done)](Result r) {
                   if (!r.ok()) return done(unavailable(r), nullptr);
                   nlohmann::json items = nlohmann::json::array();
                   for (const auto& e : r.reply.elements) {
                     items.push_back(nlohmann::json::parse(e.str, nullptr, false));
                   }
                   const auto count = items.size();
                   done(std::nullopt, {{"items", std::move(items)}, {"count", count}});
                 });
}

void TransactionBuffer::find_failed(
    const std::string& tx_id, std::function<void(std::optional<std::string>, std::string)> done) {
  // The dead-letter queue is short (people empty it); a scan is fine.
  redis_.command({"LRANGE", keys_.failed(), "0", "-1"}, [tx_id, done = std::move(done)](Result r) {
    if (!r.ok()) return done(std::nullopt, describe(r));
    for (const auto& e : r.reply.elements) {
      auto entry = nlohmann::json::parse(e.str, nullptr, false);
      if (entry.is_object() && entry.value("transaction_id", "") == tx_id) {
        return done(e.str, "");
      }
    }
    done(std::nullopt, "");
  });
}

void TransactionBuffer::replay(const std::string& tx_id, Reply done) {
  find_failed(tx_id, [this, tx_id, done](std::optional<std::string> entry, std::string error) {
    if (!error.empty())
      return done(ApiError(ErrorKind::unavailable, "Redis is unavailable"), nullptr);
    if (!entry) {
      return done(ApiError(ErrorKind::not_found, "no failed transaction " + tx_id), nullptr);
    }
    Transaction tx;
    try {
      tx = Transaction::from_json(nlohmann::json::parse(*entry).at("transaction"));
    } catch (const std::exception& e) {
      return done(ApiError(ErrorKind::conflict,
                           std::string("the failed transaction cannot be replayed: ") + e.what()),
                  nullptr);
    }
    // Removal from the dead-letter queue and the new enqueue happen in one script: a replay is
    // either complete or has not happened, and only one of two racing operators wins. It goes
    // behind everything pending (LPUSH); only the drain touches the tail.
    auto cmds = enqueue_commands(tx, tx.to_json().dump());
    redis_.command(take_failed(keys_.failed(), *entry, cmds), [tx_id, done](Result r) {
      if (!r.ok()) return done(unavailable(r), nullptr);
      if (r.reply.integer == 0) {
        return done(
            ApiError(ErrorKind::conflict,
                     "transaction " + tx_id + " was just replayed or resolved by someone else"),
            nullptr);
      }
      spdlog::info("failed transaction {} replayed: buffered again", tx_id);
      done(std::nullopt, {{"transaction_id", tx_id}, {"status", "buffered"}});
    });
  });
}

void TransactionBuffer::resolve(const std::string& tx_id, const std::string& reason, Reply done) {
  find_failed(
      tx_id, [this, tx_id, reason, done](std::optional<std::string> entry, std::string error) {
        if (!error.empty())
          return done(ApiError(ErrorKind::unavailable, "Redis is unavailable"), nullptr);
        if (!entry) {
          return done(ApiError(ErrorKind::not_found, "no failed transaction " + tx_id), nullptr);
        }
        const auto now = format_timestamp(clock_.now());
        nlohmann::json record = {{"transaction_id", tx_id},
                                 {"reason", reason},
                                 {"resolved_at", now},
                                 {"entry", nlohmann::json::parse(*entry, nullptr, false)}};
        redis_.command(
            take_failed(keys_.failed(), *entry,
                        {{"LPUSH", keys_.resolved(), record.dump()},
                         {"HSET", keys_.status(tx_id), "state", "resolved", "resolution", reason},
                         {"EXPIRE", keys_.status(tx_id),
                          std::to_string(config_.transaction_status_ttl.count())}}),
            [tx_id, reason, done](Result r) {
              if (!r.ok()) return done(unavailable(r), nullptr);
              if (r.reply.integer == 0) {
                return done(ApiError(ErrorKind::conflict, "transaction " + tx_id +
                                                              " was just replayed or resolved by "
                                                              "someone else"),
                            nullptr);
              }
              spdlog::warn("failed transaction {} resolved without applying it: {}", tx_id, reason);
              done(std::nullopt, {{"transaction_id", tx_id}, {"status", "resolved"}});
            });
      });
}

}  // namespace opsdb
