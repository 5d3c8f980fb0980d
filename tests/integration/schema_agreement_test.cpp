// The writable schema exists three times: the compiled-in registry (what the API validates and
// buffers), the main database's tables (migrations 0001-0003) and the apply function's writable
// set (0004). These tests hold them together against the live main database, so that changing
// any one of them alone fails here instead of at the first drained transaction.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <string>

#include "opsdb/config/config.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/schema/schema_registry.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;

struct LiveColumn {
  std::string data_type;  // information_schema.columns.data_type
  bool nullable = false;
};

// Every column of every base table of the main database's schema, by table then column.
std::map<std::string, std::map<std::string, LiveColumn>> live_columns(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  std::map<std::string, std::map<std::string, LiveColumn>> out;
  for (const auto& row :
       tx.exec("SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'YES' "
               "FROM information_schema.columns c JOIN information_schema.tables t "
               "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
               "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'")) {
    out[row[0].as<std::string>()][row[1].as<std::string>()] =
        LiveColumn{row[2].as<std::string>(), row[3].as<bool>()};
  }
  return out;
}

// The PostgreSQL types a registry type may be stored in: the API's checks and the conversion by
// jsonb_populate_record must agree on what a valid value is.
std::set<std::string> compatible_types(ColumnType type) {
  switch (type) {
    case ColumnType::uuid:
      return {"uuid"};
    case ColumnType::integer:
      return {"integer"};
    case ColumnType::bigint:
      return {"bigint"};
    case ColumnType::text:
      return {"text", "character varying"};
    case ColumnType::timestamptz:
      return {"timestamp with time zone"};
    case ColumnType::json_object:
      return {"jsonb", "json"};
  }
  return {};
}

// A value the registry accepts for `column`.
json sample_value(const Column& column) {
  switch (column.type) {
    case ColumnType::uuid:
      return new_uuid();
    case ColumnType::integer:
    case ColumnType::bigint:
      return 1;
    case ColumnType::text:
      return column.allowed.empty() ? "agreement" : column.allowed.front();
    case ColumnType::timestamptz:
      return "2024-01-01T00:00:00Z";
    case ColumnType::json_object:
      return json::object();
  }
  return nullptr;
}

// Runs one step through the apply function inside a savepoint of the open transaction of `db`
// (which the caller rolls back); returns the SQLSTATE it failed with, or "" when it succeeded.
std::string apply_step(pqxx::nontransaction& db, const json& step) {
  db.exec("SAVEPOINT agreement_step");
  try {
    db.exec_params("SELECT opsdb_apply_step($1::jsonb)", step.dump());
    db.exec("RELEASE SAVEPOINT agreement_step");
    return "";
  } catch (const pqxx::sql_error& e) {
    db.exec("ROLLBACK TO SAVEPOINT agreement_step");
    return e.sqlstate().empty() ? "unknown" : e.sqlstate();
  }
}

// The apply function took the column: the value was converted and the statement ran, so it
// either succeeded or met a constraint of the table (class 23: NOT NULL, foreign key, ...), the
// other columns of the row being absent.
bool insert_accepted(const std::string& sqlstate) {
  return sqlstate.empty() || sqlstate.rfind("23", 0) == 0;
}

// An update of a column the function takes reaches the UPDATE, which finds no row with a random
// id (P0002).
bool update_accepted(const std::string& sqlstate) {
  return sqlstate.empty() || sqlstate == "P0002";
}

// The function's refusal of a table or column outside its writable set.
bool refused(const std::string& sqlstate) {
  return sqlstate == "42703" || sqlstate == "42P01";
}

json insert_step(const std::string& table, const std::string& column, json value) {
  return {{"op", "insert"}, {"table", table}, {"row", {{column, std::move(value)}}}};
}

json update_step(const std::string& table, const std::string& column, json value) {
  return {{"op", "update"},
          {"table", table},
          {"id", new_uuid()},
          {"set", {{column, std::move(value)}}}};
}

class SchemaAgreementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prepare_database();
    conn_ = std::make_unique<pqxx::connection>(connection_string(stack_config().main_db));
  }

  const SchemaRegistry& registry_ = SchemaRegistry::instance();
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(SchemaAgreementTest, EveryRegistryColumnExistsInTheMainDatabaseWithACompatibleType) {
  const auto live = live_columns(*conn_);
  ASSERT_FALSE(registry_.tables().empty());
  for (const auto& table : registry_.tables()) {
    auto t = live.find(table.name);
    if (t == live.end()) {
      ADD_FAILURE() << "registry table " << table.name << " is not in the main database";
      continue;
    }
    for (const auto& column : table.columns) {
      const std::string name = table.name + "." + column.name;
      auto c = t->second.find(column.name);
      if (c == t->second.end()) {
        ADD_FAILURE() << "registry column " << name << " is not in the main database";
        continue;
      }
      EXPECT_TRUE(compatible_types(column.type).count(c->second.data_type))
          << name << " is " << c->second.data_type << " in the main database";
      // The registry may be stricter than the table, never looser.
      if (column.nullable) {
        EXPECT_TRUE(c->second.nullable)
            << name << " may be null in the registry but is NOT NULL in the main database";
      }
    }
  }
}

TEST_F(SchemaAgreementTest, TheApplyFunctionWritesExactlyTheRegistryColumns) {
  const auto live = live_columns(*conn_);
  // One transaction, opened and rolled back by hand so that every step can fail in a savepoint
  // of its own: nothing written below survives the test.
  pqxx::nontransaction tx(*conn_);
  tx.exec("BEGIN");
  for (const auto& table : registry_.tables()) {
    for (const auto& column : table.columns) {
      const std::string name = table.name + "." + column.name;
      const auto inserted =
          apply_step(tx, insert_step(table.name, column.name, sample_value(column)));
      EXPECT_TRUE(insert_accepted(inserted))
          << "the apply function does not insert " << name << " (SQLSTATE " << inserted << ")";
      const auto updated =
          apply_step(tx, update_step(table.name, column.name, sample_value(column)));
      if (column.updatable) {
        EXPECT_TRUE(update_accepted(updated))
            << "the apply function does not update " << name << ", which the registry marks "
            << "updatable (SQLSTATE " << updated << ")";
      } else {
        EXPECT_TRUE(refused(updated))
            << "the apply function updates " << name << ", which the registry does not mark "
            << "updatable (SQLSTATE " << updated << ")";
      }
    }

    // Columns of the table outside the registry, and one that exists nowhere, are refused.
    std::vector<std::string> outside = {"not_in_the_registry"};
    if (auto t = live.find(table.name); t != live.end()) {
      for (const auto& [column, _] : t->second) {
        if (!table.column(column)) outside.push_back(column);
      }
    }
    for (const auto& column : outside) {
      const auto inserted = apply_step(tx, insert_step(table.name, column, 1));
      EXPECT_TRUE(refused(inserted))
          << "the apply function writes " << table.name << "." << column
          << ", which is not in the registry (SQLSTATE " << inserted << ")";
    }
  }

  // A table the main database has but the registry does not list is refused as a whole.
  for (const auto& [table, columns] : live) {
    if (registry_.table(table) || columns.empty()) continue;
    const auto inserted = apply_step(tx, insert_step(table, columns.begin()->first, 1));
    EXPECT_TRUE(refused(inserted))
        << "the apply function writes table " << table
        << ", which is not in the registry (SQLSTATE " << inserted << ")";
  }
  tx.exec("ROLLBACK");
}

}  // namespace
}  // namespace opsdb::test
