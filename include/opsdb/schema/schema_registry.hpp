#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace opsdb {

enum class ColumnType { uuid, integer, bigint, text, timestamptz, json_object };

/// One column a transaction may write. The registry is compiled in: identifiers in SQL only ever
/// come from here, never from requests or from Redis.
struct Column {
  std::string name;
  ColumnType type = ColumnType::text;
  bool nullable = false;
  bool updatable = false;                 // may appear in an `update` step's `set`
  std::vector<std::string> allowed;       // enum values for text columns (empty = any)
  std::optional<std::string> references;  // table this column points to, if a foreign key
  /// Buffered records are indexed by this column (`index:{table}:{column}:{value}`), so reads
  /// find them by value without a scan.
  bool indexed = false;
};

/// A table transactions may write, with its columns.
struct Table {
  std::string name;
  std::vector<Column> columns;
  /// The timestamp column rows are listed in (with `id` as the tie-break); it scores the
  /// buffered records in their index sets.
  std::string order_column;
  /// Buffered records of this table are also kept in one listing of all of them, for lists
  /// without a filter.
  bool listed = false;

  const Column* column(const std::string& name) const;
};

/// The tables and columns that buffered transactions may touch.
class SchemaRegistry {
 public:
  /// The registry of the project's schema (migrations/).
  static const SchemaRegistry& instance();

  explicit SchemaRegistry(std::vector<Table> tables) : tables_(std::move(tables)) {}

  const std::vector<Table>& tables() const { return tables_; }

  /// The table by name, or nullptr.
  const Table* table(const std::string& name) const;

  /// Checks one value against a column: returns an error text, or nullopt when acceptable.
  /// Timestamps are rewritten to canonical form in place.
  std::optional<std::string> check_value(const Column& column, nlohmann::json& value) const;

 private:
  std::vector<Table> tables_;
};

/// True when a string or an object key anywhere in `value` contains U+0000, which PostgreSQL's
/// text and jsonb cannot hold. Iterative, so no nesting depth can exhaust the stack.
bool contains_nul(const nlohmann::json& value);

}  // namespace opsdb
