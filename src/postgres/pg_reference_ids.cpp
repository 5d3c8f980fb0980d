#include "opsdb/postgres/pg_reference_ids.hpp"

#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

// Table names go into the statement text, so only the tables the registry's foreign keys point
// to are accepted (reference tables such as obs_unit are not writable, hence not tables of the
// registry themselves).
bool is_referenced_table(const std::string& table) {
  for (const auto& t : SchemaRegistry::instance().tables()) {
    for (const auto& column : t.columns) {
      if (column.references && *column.references == table) return true;
    }
  }
  return false;
}

Error not_a_table(const std::string& table) {
  return Error{Fault::internal, "'" + table + "' is not a table the registry refers to", ""};
}

}  // namespace

void PgReferenceIds::all(const std::set<std::string>& tables, Callback<IdsByTable> done) {
  // One statement for every table: {"table": [ids...], ...}.
  std::string sql = "SELECT jsonb_build_object(";
  bool first = true;
  for (const auto& table : tables) {
    if (!is_referenced_table(table)) return done(not_a_table(table));
    sql += (first ? "'" : ", '") + table + "', (SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM " +
           table + ")";
    first = false;
  }
  sql += ")::text";
  db_.query({sql, {}}, [done = std::move(done)](Result<nlohmann::json> r) {
    if (!r.ok()) return done(r.error());
    if (r->empty()) return done(Error{Fault::internal, "no answer", ""});
    IdsByTable ids;
    for (const auto& [table, values] : (*r)[0].items()) {
      auto& set = ids[table];
      for (const auto& id : values) set.insert(id.get<long long>());
    }
    done(std::move(ids));
  });
}

void PgReferenceIds::exists(const std::string& table, long long id, Callback<bool> done) {
  if (!is_referenced_table(table)) return done(not_a_table(table));
  db_.query({"SELECT to_jsonb(count(*))::text FROM " + table + " WHERE id = $1::bigint",
             {std::to_string(id)}},
            [done = std::move(done)](Result<nlohmann::json> r) {
              if (!r.ok()) return done(r.error());
              if (r->empty()) return done(Error{Fault::internal, "no answer", ""});
              done((*r)[0].get<long long>() > 0);
            });
}

}  // namespace opsdb
