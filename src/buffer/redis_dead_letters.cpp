#include "opsdb/buffer/redis_dead_letters.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/buffer/embedded_lua.hpp"
#include "opsdb/buffer/enqueue_commands.hpp"
#include "opsdb/core/json_text.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/events/transaction_event.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {
namespace {

Error not_in_queue(const std::string& id) {
  return Error{Fault::not_found, "no failed transaction " + id, ""};
}

FailedTransaction to_failed(const nlohmann::json& entry) {
  FailedTransaction f;
  f.transaction_id = entry.value("transaction_id", "");
  f.transaction = entry.value("transaction", nlohmann::json(nullptr));
  f.error = entry.value("error", "");
  f.attempts = entry.value("attempts", 0);
  f.failed_at = entry.value("failed_at", "");
  return f;
}

// The subject of the events of the transaction a dead-letter entry holds; none when it holds
// no readable transaction.
std::string subject_of(const nlohmann::json& entry) {
  if (!entry.is_object() || !entry.contains("transaction")) return {};
  try {
    return event_subject(Transaction::from_json(entry["transaction"]));
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

RedisDeadLetters::RedisDeadLetters(redis::RedisClient& redis, const BufferOptions& options,
                                   const Clock& clock)
    : redis_(redis),
      options_(options),
      clock_(clock),
      keys_(options.site_name),
      take_failed_(redis, embedded_lua("take_failed")) {}

void RedisDeadLetters::list(std::size_t limit, Callback<std::vector<FailedTransaction>> done) {
  redis_.command({"LRANGE", keys_.failed(), "0", std::to_string(limit - 1)},
                 [done = std::move(done)](redis::Result r) {
                   if (!r.ok()) return done(redis::to_error(r));
                   std::vector<FailedTransaction> items;
                   for (const auto& e : r.reply.elements) {
                     auto entry = nlohmann::json::parse(e.str, nullptr, false);
                     if (!entry.is_object()) continue;  // written by this program: never so
                     items.push_back(to_failed(entry));
                   }
                   done(std::move(items));
                 });
}

void RedisDeadLetters::find(const std::string& transaction_id,
                            std::function<void(Result<std::optional<std::string>>)> done) {
  redis_.command({"HGET", keys_.failed_by_id(), transaction_id},
                 [done = std::move(done)](redis::Result r) {
                   if (!r.ok()) return done(redis::to_error(r));
                   if (r.reply.is_nil()) return done(std::optional<std::string>{});
                   done(std::optional<std::string>(std::move(r.reply.str)));
                 });
}

void RedisDeadLetters::take(const std::string& transaction_id, const std::string& entry,
                            std::vector<redis::Command> commands, Callback<void> done) {
  std::vector<std::string> keys{keys_.failed(), keys_.failed_by_id()};
  std::vector<std::string> args{entry, transaction_id};
  for (auto& c : commands) {
    args.push_back(std::move(c.name));
    args.push_back(std::to_string(c.keys.size()));
    args.push_back(std::to_string(c.args.size()));
    for (auto& k : c.keys) keys.push_back(std::move(k));
    for (auto& a : c.args) args.push_back(std::move(a));
  }
  take_failed_.run(
      std::move(keys), std::move(args), [transaction_id, done = std::move(done)](redis::Result r) {
        if (!r.ok()) return done(redis::to_error(r));
        if (r.reply.integer == 0) {
          return done(Error{
              Fault::conflict,
              "transaction " + transaction_id + " was just replayed or resolved by someone else",
              ""});
        }
        done({});
      });
}

void RedisDeadLetters::replay(const std::string& transaction_id, Callback<void> done) {
  find(transaction_id, [this, transaction_id, done = std::move(done)](auto entry) mutable {
    if (!entry.ok()) return done(entry.error());
    if (!*entry) return done(not_in_queue(transaction_id));
    Transaction tx;
    try {
      // The entry wraps the transaction document in one more level.
      auto parsed = parse_json_text(**entry, 130);
      if (!parsed) throw std::invalid_argument("the dead letter is not a readable JSON document");
      tx = Transaction::from_json(parsed->at("transaction"));
    } catch (const std::exception& e) {
      return done(Error{Fault::conflict,
                        std::string("the failed transaction cannot be replayed: ") + e.what(), ""});
    }
    // It goes behind everything pending (LPUSH): only the drain touches the tail.
    const auto now = format_timestamp(clock_.now());
    std::vector<redis::Command> commands{add_event(
        keys_, options_.events_max, transaction_event("replayed", tx.id, event_subject(tx), now))};
    for (auto& command : enqueue_commands(keys_, tx, options_.events_max, now)) {
      commands.push_back(std::move(command));
    }
    take(transaction_id, **entry, std::move(commands),
         [transaction_id, done = std::move(done)](Result<void> r) {
           if (r.ok())
             spdlog::info("failed transaction {} replayed: buffered again", transaction_id);
           done(std::move(r));
         });
  });
}

void RedisDeadLetters::resolve(const std::string& transaction_id, const std::string& reason,
                               Callback<void> done) {
  find(transaction_id, [this, transaction_id, reason, done = std::move(done)](auto entry) mutable {
    if (!entry.ok()) return done(entry.error());
    if (!*entry) return done(not_in_queue(transaction_id));
    nlohmann::json record = {{"transaction_id", transaction_id},
                             {"reason", reason},
                             {"resolved_at", format_timestamp(clock_.now())},
                             {"entry", nlohmann::json::parse(**entry, nullptr, false)}};
    const auto status = keys_.status(transaction_id);
    std::vector<redis::Command> commands{
        {"LPUSH", {keys_.resolved()}, {record.dump()}},
        {"HSET", {status}, {"state", "resolved", "resolution", reason}},
        {"EXPIRE", {status}, {std::to_string(options_.status_ttl.count())}},
        add_event(keys_, options_.events_max,
                  transaction_event("resolved", transaction_id, subject_of(record["entry"]),
                                    record["resolved_at"].get<std::string>(),
                                    ",\"reason\":" + nlohmann::json(reason).dump()))};
    take(transaction_id, **entry, std::move(commands),
         [transaction_id, reason, done = std::move(done)](Result<void> r) {
           if (r.ok()) {
             spdlog::warn("failed transaction {} resolved without applying it: {}", transaction_id,
                          reason);
           }
           done(std::move(r));
         });
  });
}

}  // namespace opsdb
