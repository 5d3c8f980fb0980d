#include "opsdb/tx/transaction.hpp"

#include <stdexcept>

#include "opsdb/core/json_text.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

const char* op_name(Step::Op op) {
  switch (op) {
    case Step::Op::insert:
      return "insert";
    case Step::Op::insert_many:
      return "insert_many";
    case Step::Op::update:
      return "update";
  }
  return "insert";
}

Step::Op parse_op(const std::string& name) {
  if (name == "insert") return Step::Op::insert;
  if (name == "insert_many") return Step::Op::insert_many;
  if (name == "update") return Step::Op::update;
  throw std::invalid_argument("unknown step op '" + name + "'");
}

void check_row(const Table& table, const nlohmann::json& row, bool for_update) {
  if (!row.is_object() || row.empty()) {
    throw std::invalid_argument("a row of " + table.name + " must be a non-empty object");
  }
  const auto& registry = SchemaRegistry::instance();
  for (const auto& [name, value] : row.items()) {
    const Column* column = table.column(name);
    if (column == nullptr) {
      throw std::invalid_argument("unknown column " + table.name + "." + name);
    }
    if (for_update && !column->updatable) {
      throw std::invalid_argument("column " + table.name + "." + name + " cannot be updated");
    }
    auto copy = value;
    if (auto error = registry.check_value(*column, copy)) {
      throw std::invalid_argument(table.name + "." + name + " " + *error);
    }
  }
}

}  // namespace

nlohmann::json Transaction::to_json() const {
  auto steps_json = nlohmann::json::array();
  for (const auto& step : steps) {
    nlohmann::json s = {{"op", op_name(step.op)}, {"table", step.table}};
    switch (step.op) {
      case Step::Op::insert:
        s["row"] = step.row;
        break;
      case Step::Op::insert_many:
        s["rows"] = step.rows;
        break;
      case Step::Op::update:
        s["id"] = step.id;
        s["set"] = step.set;
        break;
    }
    steps_json.push_back(std::move(s));
  }
  return {{"id", id},
          {"site", site},
          {"origin", origin},
          {"created_at", created_at},
          {"steps", std::move(steps_json)}};
}

Transaction Transaction::parse(std::string_view text) {
  // A request body nests at most kDefaultMaxJsonDepth levels; the document adds a few around it.
  constexpr std::size_t kMaxDocumentDepth = 128;
  auto doc = parse_json_text(text, kMaxDocumentDepth);
  if (!doc) {
    throw std::invalid_argument("not a JSON document of at most " +
                                std::to_string(kMaxDocumentDepth) + " levels");
  }
  return from_json(*doc);
}

Transaction Transaction::from_json(const nlohmann::json& doc) {
  try {
    Transaction tx;
    tx.id = doc.at("id").get<std::string>();
    tx.site = doc.at("site").get<std::string>();
    tx.origin = doc.at("origin").get<std::string>();
    tx.created_at = doc.at("created_at").get<std::string>();
    for (const auto& s : doc.at("steps")) {
      Step step;
      step.op = parse_op(s.at("op").get<std::string>());
      step.table = s.at("table").get<std::string>();
      switch (step.op) {
        case Step::Op::insert:
          step.row = s.at("row");
          break;
        case Step::Op::insert_many:
          step.rows = s.at("rows");
          break;
        case Step::Op::update:
          step.id = s.at("id").get<std::string>();
          step.set = s.at("set");
          break;
      }
      tx.steps.push_back(std::move(step));
    }
    check_against_registry(tx);
    return tx;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("malformed transaction document: ") + e.what());
  }
}

void check_against_registry(const Transaction& tx) {
  if (!is_uuid(tx.id)) throw std::invalid_argument("transaction id is not a UUID");
  if (!parse_timestamp(tx.created_at)) {
    throw std::invalid_argument("transaction created_at is not a timestamp");
  }
  if (tx.steps.empty()) throw std::invalid_argument("transaction has no steps");
  const auto& registry = SchemaRegistry::instance();
  for (const auto& step : tx.steps) {
    const Table* table = registry.table(step.table);
    if (table == nullptr) throw std::invalid_argument("unknown table '" + step.table + "'");
    switch (step.op) {
      case Step::Op::insert:
        check_row(*table, step.row, false);
        break;
      case Step::Op::insert_many:
        if (!step.rows.is_array() || step.rows.empty()) {
          throw std::invalid_argument("insert_many into " + table->name + " needs rows");
        }
        for (const auto& row : step.rows) check_row(*table, row, false);
        break;
      case Step::Op::update:
        if (!is_uuid(step.id))
          throw std::invalid_argument("update of " + table->name + " needs a UUID id");
        check_row(*table, step.set, true);
        break;
    }
  }
}

}  // namespace opsdb
