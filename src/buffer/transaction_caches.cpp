#include "opsdb/buffer/transaction_caches.hpp"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "opsdb/redis/redis_client.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {

std::string TransactionCaches::to_spec() const {
  nlohmann::json index = nlohmann::json::array();
  for (const auto& [key, member] : index_) index.push_back({key, member});
  return nlohmann::json{{"records", records_}, {"index", index}, {"overlays", overlays_}}.dump();
}

TransactionCaches TransactionCaches::from_spec(std::string_view spec) {
  TransactionCaches caches;
  auto doc = nlohmann::json::parse(spec, nullptr, false);
  if (!doc.is_object()) return caches;
  try {
    for (const auto& k : doc.value("records", nlohmann::json::array())) caches.add_record(k);
    for (const auto& p : doc.value("index", nlohmann::json::array())) caches.add_index(p[0], p[1]);
    for (const auto& k : doc.value("overlays", nlohmann::json::array())) caches.add_overlay(k);
  } catch (const nlohmann::json::exception&) {
    // Written by this program; unreadable means damaged: better stale caches than a stuck drain.
    return {};
  }
  return caches;
}

void TransactionCaches::append_group(const std::string& status_key, const std::string& id,
                                     std::vector<std::string>& keys,
                                     std::vector<std::string>& args) const {
  keys.push_back(status_key);
  args.push_back(id);
  args.push_back(std::to_string(records_.size()));
  args.push_back(std::to_string(index_.size()));
  args.push_back(std::to_string(overlays_.size()));
  keys.insert(keys.end(), records_.begin(), records_.end());
  for (const auto& [key, member] : index_) {
    keys.push_back(key);
    args.push_back(member);
  }
  keys.insert(keys.end(), overlays_.begin(), overlays_.end());
}

TransactionCaches TransactionCaches::overlays_only() const {
  TransactionCaches rest;
  rest.overlays_ = overlays_;
  return rest;
}

namespace {

// Keys (or set members) one Redis call deletes at most.
constexpr std::size_t kKeysPerCall = 1000;

void run_chunks(redis::RedisClient& redis,
                std::shared_ptr<std::vector<std::vector<std::vector<std::string>>>> chunks,
                std::size_t next, Callback<void> done) {
  if (next == chunks->size()) return done({});
  auto commands = std::move((*chunks)[next]);
  // Deletes need no atomicity (each is idempotent), and a pipeline runs where a MULTI would not:
  // Redis at its maxmemory refuses every command queued in a MULTI, deletes included.
  redis.pipeline(std::move(commands),
                 [&redis, chunks, next, done = std::move(done)](redis::Result r) mutable {
                   if (!r.ok()) return done(redis::to_error(r));
                   run_chunks(redis, chunks, next + 1, std::move(done));
                 });
}

}  // namespace

void TransactionCaches::delete_records_and_index(redis::RedisClient& redis,
                                                 const std::vector<TransactionCaches>& caches,
                                                 Callback<void> done) {
  auto chunks = std::make_shared<std::vector<std::vector<std::vector<std::string>>>>();
  std::size_t in_chunk = kKeysPerCall;  // start a chunk at the first key
  auto add = [&](std::vector<std::string> command) {
    if (in_chunk >= kKeysPerCall) {
      chunks->emplace_back();
      in_chunk = 0;
    }
    in_chunk += command.size() - 1;
    chunks->back().push_back(std::move(command));
  };
  for (const auto& c : caches) {
    for (std::size_t i = 0; i < c.records_.size(); i += 100) {
      std::vector<std::string> del{"DEL"};
      for (std::size_t j = i; j < std::min(i + 100, c.records_.size()); ++j) {
        del.push_back(c.records_[j]);
      }
      add(std::move(del));
    }
    for (const auto& [key, member] : c.index_) add({"ZREM", key, member});
  }
  run_chunks(redis, std::move(chunks), 0, std::move(done));
}

void TransactionCaches::read(redis::RedisClient& redis, const RedisKeys& keys,
                             const std::vector<std::string>& ids,
                             Callback<std::vector<TransactionCaches>> done) {
  if (ids.empty()) return done(std::vector<TransactionCaches>{});
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size());
  for (const auto& id : ids) commands.push_back({"HGET", keys.status(id), "cache_keys"});
  redis.pipeline(std::move(commands), [n = ids.size(), done = std::move(done)](redis::Result r) {
    if (!r.ok()) return done(redis::to_error(r));
    if (r.reply.elements.size() != n) {
      return done(Error{Fault::internal, "unexpected reply to reading cache keys", ""});
    }
    std::vector<TransactionCaches> caches;
    caches.reserve(n);
    for (const auto& e : r.reply.elements) {
      caches.push_back(e.is_nil() ? TransactionCaches{} : from_spec(e.str));
    }
    done(std::move(caches));
  });
}

}  // namespace opsdb
