#include "opsdb/buffer/enqueue_commands.hpp"

#include <nlohmann/json.hpp>

#include "opsdb/buffer/transaction_caches.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

std::string value_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::vector<redis::Command> enqueue_commands(const RedisKeys& keys, const Transaction& tx) {
  std::vector<redis::Command> cmds;
  cmds.push_back({"LPUSH", {keys.buffer()}, {tx.to_json().dump()}});
  TransactionCaches caches;
  const auto& registry = SchemaRegistry::instance();
  auto cache_row = [&](const Table& table, const nlohmann::json& row) {
    const std::string id = row.at("id").get<std::string>();
    auto key = keys.record(table.name, id);
    cmds.push_back({"SET", {key}, {row.dump()}});
    caches.add_record(std::move(key));
    for (const auto& column : table.columns) {
      if (!column.indexed || !row.contains(column.name) || row[column.name].is_null()) continue;
      auto index_key = keys.index(table.name, column.name, value_text(row[column.name]));
      cmds.push_back({"SADD", {index_key}, {id}});
      caches.add_index(std::move(index_key), id);
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
        break;
      }
    }
  }
  cmds.push_back({"HSET",
                  {keys.status(tx.id)},
                  {"state", "buffered", "attempts", "0", "created_at", tx.created_at, "origin",
                   tx.origin, "error", "", "cache_keys", caches.to_spec()}});
  nlohmann::json event = {{"event", "buffered"},
                          {"transaction_id", tx.id},
                          {"origin", tx.origin},
                          {"at", tx.created_at}};
  // A channel is not a key: it goes with the arguments.
  cmds.push_back({"PUBLISH", {}, {keys.events(), event.dump()}});
  return cmds;
}

}  // namespace opsdb
