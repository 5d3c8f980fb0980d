#include "opsdb/postgres/error_classification.hpp"

#include <array>

namespace opsdb {
namespace {

struct Rule {
  std::string_view prefix;  // a whole SQLSTATE or its two-character class
  Fault fault;
  std::string_view reason;  // for operators, when the site is at fault
};

// The most specific prefix wins: whole codes are listed before their classes.
constexpr std::array kRules{
    // A row that matched no update: the record the update targets never reached the database.
    Rule{"P0002", Fault::rejected, ""},
    // Data exceptions: a value the column cannot take (bad text, NUL in jsonb, out of range).
    Rule{"22", Fault::rejected, ""},
    // Integrity constraint violations: duplicate keys, missing foreign rows, checks.
    Rule{"23", Fault::rejected, ""},
    // Program limits: a document too large or too deeply nested for PostgreSQL to process.
    // Alone it is that transaction's fault; in a batch the drain splits the batch first.
    Rule{"54", Fault::rejected, ""},
    // Connection exceptions: the database went away mid-call.
    Rule{"08", Fault::unavailable, "the connection to the main database broke"},
    // Read-only transaction (maintenance window, a standby answering as main).
    Rule{"25006", Fault::unavailable, "the main database is read-only"},
    // Other invalid transaction states: the session, not the row.
    Rule{"25", Fault::unavailable, "the main database refused the transaction state"},
    // Bad credentials or a role that may not log in.
    Rule{"28", Fault::unavailable, "the main database refused the credentials"},
    // Missing database or schema: a deployment problem.
    Rule{"3D", Fault::unavailable, "the main database does not exist"},
    Rule{"3F", Fault::unavailable, "a schema of the main database is missing"},
    // Serialization failures and deadlocks: retrying resolves them.
    Rule{"40", Fault::unavailable, "the main database rolled the batch back (conflict)"},
    // Privileges revoked after a bad migration or GRANT change.
    Rule{"42501", Fault::unavailable, "permission denied on the main database"},
    // Undefined tables, columns, functions: the schema is behind the binary.
    Rule{"42P01", Fault::unavailable, "a table is missing on the main database (migrations?)"},
    Rule{"42703", Fault::unavailable, "a column is missing on the main database (migrations?)"},
    Rule{"42883", Fault::unavailable,
         "the apply procedure is missing on the main database (migrations?)"},
    // The rest of class 42 is SQL the server could not take: ours, never the row's.
    Rule{"42", Fault::unavailable, "the main database refused the apply statement"},
    // Out of resources: disk full, too many connections, out of memory.
    Rule{"53", Fault::unavailable, "the main database is out of resources"},
    // Object not in prerequisite state: lock not available and the like.
    Rule{"55", Fault::unavailable, "the main database is busy (lock not available)"},
    // Operator intervention: shutdown, cancelled or timed-out statements.
    Rule{"57", Fault::unavailable, "the main database cancelled the call (shutdown or timeout)"},
    // System and internal errors of the server.
    Rule{"58", Fault::unavailable, "the main database reported a system error"},
    Rule{"XX", Fault::unavailable, "the main database reported an internal error"},
};

const Rule* find_rule(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return nullptr;
  for (const auto& rule : kRules) {
    if (rule.prefix.size() == 5 && rule.prefix == sqlstate) return &rule;
  }
  for (const auto& rule : kRules) {
    if (rule.prefix.size() == 2 && rule.prefix == sqlstate.substr(0, 2)) return &rule;
  }
  return nullptr;
}

}  // namespace

Fault classify_sqlstate(std::string_view sqlstate) {
  const auto* rule = find_rule(sqlstate);
  return rule != nullptr ? rule->fault : Fault::unavailable;
}

std::string_view describe_sqlstate(std::string_view sqlstate) {
  const auto* rule = find_rule(sqlstate);
  return rule != nullptr ? rule->reason : std::string_view{};
}

}  // namespace opsdb
