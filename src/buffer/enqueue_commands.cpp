#include "opsdb/buffer/enqueue_commands.hpp"

#include <nlohmann/json.hpp>

#include "opsdb/buffer/transaction_caches.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/events/transaction_event.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

std::string value_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::int64_t order_score(const Table& table, const nlohmann::json& row) {
  auto it = row.find(table.order_column);
  if (it == row.end() || !it->is_string()) return 0;
  return epoch_microseconds(it->get<std::string>()).value_or(0);
}

}  // namespace

redis::Command add_event(const RedisKeys& keys, std::size_t events_max, std::string event) {
  return {"XADD",
          {keys.events()},
          {"MAXLEN", "~", std::to_string(events_max), "*", "e", std::move(event)}};
}

std::vector<redis::Command> enqueue_commands(const RedisKeys& keys, const Transaction& tx,
                                             std::size_t events_max, std::string_view at) {
  std::vector<redis::Command> cmds;
  cmds.push_back({"LPUSH", {keys.buffer()}, {tx.to_json().dump()}});
  TransactionCaches caches;
  const auto& registry = SchemaRegistry::instance();
  // Index sets are sorted by the record's order column, so a list reads one page of them, not
  // all; an entry written by an update does not know that time and scores 0 (NX: it never
  // moves an entry its insert scored).
  auto add_to_index = [&](std::string key, const std::string& id, const std::string& score,
                          bool from_update) {
    if (from_update) {
      cmds.push_back({"ZADD", {key}, {"NX", score, id}});
    } else {
      cmds.push_back({"ZADD", {key}, {score, id}});
    }
    caches.add_index(std::move(key), id);
  };
  auto cache_row = [&](const Table& table, const nlohmann::json& row) {
    const std::string id = row.at("id").get<std::string>();
    auto key = keys.record(table.name, id);
    cmds.push_back({"SET", {key}, {row.dump()}});
    caches.add_record(std::move(key));
    const std::string score = std::to_string(order_score(table, row));
    if (table.listed) add_to_index(keys.listing(table.name), id, score, false);
    for (const auto& column : table.columns) {
      if (!column.indexed || !row.contains(column.name) || row[column.name].is_null()) continue;
      add_to_index(keys.index(table.name, column.name, value_text(row[column.name])), id, score,
                   false);
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
        auto key = keys.overlay(table.name, step.id);
        redis::Command hset{"HSET", {key}, {}};
        for (const auto& [column, value] : step.set.items()) {
          hset.args.push_back(column);
          hset.args.push_back(value.dump());
        }
        hset.args.push_back("_last_tx");
        hset.args.push_back(tx.id);
        cmds.push_back(std::move(hset));
        caches.add_overlay(std::move(key));
        // So that a filter on the new value finds a record whose row is elsewhere.
        for (const auto& [column, value] : step.set.items()) {
          const Column* c = table.column(column);
          if (c == nullptr || !c->indexed || value.is_null()) continue;
          add_to_index(keys.index(table.name, column, value_text(value)), step.id, "0", true);
        }
        break;
      }
    }
  }
  auto subject = event_subject(tx);
  auto event = transaction_event("buffered", tx.id, subject, at.empty() ? tx.created_at : at);
  cmds.push_back(
      {"HSET",
       {keys.status(tx.id)},
       {"state", "buffered", "attempts", "0", "created_at", tx.created_at, "origin", tx.origin,
        "error", "", "cache_keys", caches.to_spec(), "subject", std::move(subject)}});
  cmds.push_back(add_event(keys, events_max, std::move(event)));
  return cmds;
}

}  // namespace opsdb
