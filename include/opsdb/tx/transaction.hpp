#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace opsdb {

/// One step of a transaction (DESIGN §4).
struct Step {
  enum class Op { insert, insert_many, update };
  Op op = Op::insert;
  std::string table;
  nlohmann::json row;   // insert: one row object
  nlohmann::json rows;  // insert_many: array of row objects
  std::string id;       // update: the id of the row to change
  nlohmann::json set;   // update: column -> new value
};

/// One client write: all steps or none, identified by a UUID generated before any database saw it.
struct Transaction {
  std::string id;
  std::string site;
  std::string origin;      // "POST /executed_obs_units/start"
  std::string created_at;  // canonical timestamp
  std::vector<Step> steps;

  nlohmann::json to_json() const;

  /// Parses a transaction document and checks every identifier and value against the schema
  /// registry, so a document from Redis is never trusted as SQL. Throws std::invalid_argument.
  static Transaction from_json(const nlohmann::json& doc);

  /// Parses the text of a transaction document (as buffered) with `from_json`'s checks, refusing
  /// nesting deeper than a request body could produce. Throws std::invalid_argument.
  static Transaction parse(std::string_view text);
};

/// Checks the identifiers (tables, columns, ops) and values of a transaction against the schema
/// registry. Throws std::invalid_argument naming the offending part.
void check_against_registry(const Transaction& tx);

}  // namespace opsdb
