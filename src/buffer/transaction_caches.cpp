#include "opsdb/buffer/transaction_caches.hpp"

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

void TransactionCaches::read(redis::RedisClient& redis, const RedisKeys& keys,
                             const std::vector<std::string>& ids,
                             Callback<std::vector<TransactionCaches>> done) {
  if (ids.empty()) return done(std::vector<TransactionCaches>{});
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size());
  for (const auto& id : ids) commands.push_back({"HGET", keys.status(id), "cache_keys"});
  redis.transaction(std::move(commands), [n = ids.size(), done = std::move(done)](redis::Result r) {
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
