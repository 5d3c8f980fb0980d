#include "opsdb/buffer/redis_buffer_inspector.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/redis/redis_client.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {
namespace {

// Seconds since the transaction document `doc` was created; none when it does not say.
std::optional<double> age_seconds(const std::string& doc, Clock::time_point now) {
  auto parsed = nlohmann::json::parse(doc, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("created_at") || !parsed["created_at"].is_string()) {
    return std::nullopt;
  }
  auto created = parse_timestamp(parsed["created_at"].get<std::string>());
  if (!created) return std::nullopt;
  return std::chrono::duration<double>(now - *created).count();
}

TransactionStatus to_status(const std::string& id, const redis::Reply& hash) {
  std::map<std::string, std::string> fields;
  for (std::size_t i = 0; i + 1 < hash.elements.size(); i += 2) {
    fields[hash.elements[i].str] = hash.elements[i + 1].str;
  }
  // A field that is missing or empty is not known.
  auto text = [&](const char* field) -> std::optional<std::string> {
    auto it = fields.find(field);
    if (it == fields.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  TransactionStatus s;
  s.transaction_id = id;
  s.state = text("state").value_or("");
  s.attempts = std::stoi(text("attempts").value_or("0"));
  s.lsn = text("lsn");
  s.error = text("error");
  s.origin = text("origin");
  s.created_at = text("created_at");
  s.applied_at = text("applied_at");
  s.replicated_at = text("replicated_at");
  s.resolution = text("resolution");
  return s;
}

}  // namespace

RedisBufferInspector::RedisBufferInspector(redis::RedisClient& redis, const BufferOptions& options,
                                           const Clock& clock, const WriteJournal* journal)
    : redis_(redis), clock_(clock), keys_(options.site_name), journal_(journal) {}

void RedisBufferInspector::stats(Callback<BufferStats> done) {
  // Plain pipelined reads, not one MULTI: Redis at its maxmemory refuses every command queued in
  // a MULTI, reads included, and a full buffer is when operators need these figures most. The
  // figures may therefore be a moment apart; each is exact.
  struct Gathered {
    std::mutex mutex;  // failures are reported from any thread
    BufferStats stats;
    std::optional<Error> error;
    int left = 6;
    Callback<BufferStats> done;
  };
  auto gathered = std::make_shared<Gathered>();
  gathered->done = std::move(done);
  auto ask = [this, gathered](std::vector<std::string> command, bool required,
                              std::function<void(BufferStats&, const redis::Reply&)> use) {
    redis_.command(std::move(command), [gathered, required, use = std::move(use)](
                                           redis::Result r) {
      std::unique_lock lock(gathered->mutex);
      if (r.ok()) {
        use(gathered->stats, r.reply);
      } else if (required && !gathered->error) {
        gathered->error = redis::to_error(r);
      }
      if (--gathered->left > 0) return;
      lock.unlock();
      if (gathered->error) return gathered->done(*gathered->error);
      gathered->done(std::move(gathered->stats));
    });
  };
  ask({"LLEN", keys_.buffer()}, true,
      [](BufferStats& s, const redis::Reply& r) { s.pending = r.integer; });
  ask({"LLEN", keys_.failed()}, true,
      [](BufferStats& s, const redis::Reply& r) { s.failed = r.integer; });
  ask({"ZCARD", keys_.awaiting_replication()}, true,
      [](BufferStats& s, const redis::Reply& r) { s.awaiting_replication = r.integer; });
  ask({"LINDEX", keys_.buffer(), "-1"}, true, [this](BufferStats& s, const redis::Reply& r) {
    if (!r.is_nil()) s.oldest_pending_seconds = age_seconds(r.str, clock_.now());
  });
  ask({"MEMORY", "USAGE", keys_.buffer()}, true, [](BufferStats& s, const redis::Reply& r) {
    s.size_mb = static_cast<double>(r.integer) / (1024.0 * 1024.0);
  });
  // Redis's memory as a whole, for the alert before its limit; the rest stands without it.
  ask({"INFO", "memory"}, false, [](BufferStats& s, const redis::Reply& r) {
    s.memory = redis_memory_from_info(r.str);
  });
}

void RedisBufferInspector::status(const std::string& transaction_id,
                                  Callback<TransactionStatus> done) {
  if (journal_ && journal_->find(transaction_id)) {
    TransactionStatus journaled;
    journaled.transaction_id = transaction_id;
    journaled.state = "journaled";
    return done(std::move(journaled));
  }
  redis_.command(
      {"HGETALL", keys_.status(transaction_id)},
      [transaction_id, done = std::move(done)](redis::Result r) {
        if (!r.ok()) return done(redis::to_error(r));
        if (r.reply.elements.empty()) {
          return done(Error{Fault::not_found,
                            "transaction " + transaction_id +
                                " is unknown here (never buffered, or its final status has "
                                "expired)",
                            ""});
        }
        done(to_status(transaction_id, r.reply));
      });
}

}  // namespace opsdb
