#include "opsdb/buffer/redis_buffer_inspector.hpp"

#include <map>

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
  // A pipeline, not a MULTI: Redis at its maxmemory refuses every command queued in a MULTI,
  // reads included, and a full buffer is when operators need these figures most. The figures
  // may therefore be a moment apart; each is exact.
  redis_.pipeline({{"LLEN", keys_.buffer()},
                   {"LLEN", keys_.failed()},
                   {"ZCARD", keys_.awaiting_replication()},
                   {"LINDEX", keys_.buffer(), "-1"},
                   {"MEMORY", "USAGE", keys_.buffer()},
                   {"INFO", "memory"}},
                  [this, done = std::move(done)](redis::Result r) {
                    if (!r.ok()) return done(redis::to_error(r));
                    const auto& e = r.reply.elements;
                    if (e.size() != 6) {
                      return done(Error{Fault::internal, "unexpected reply to stats", ""});
                    }
                    BufferStats stats;
                    stats.pending = e[0].integer;
                    stats.failed = e[1].integer;
                    stats.awaiting_replication = e[2].integer;
                    if (!e[3].is_nil()) {
                      stats.oldest_pending_seconds = age_seconds(e[3].str, clock_.now());
                    }
                    stats.size_mb = static_cast<double>(e[4].integer) / (1024.0 * 1024.0);
                    // Redis's memory as a whole, for the alert before its limit.
                    stats.memory = redis_memory_from_info(e[5].str);
                    done(stats);
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
