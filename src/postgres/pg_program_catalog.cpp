#include "opsdb/postgres/pg_program_catalog.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;

const std::string kList =
    "SELECT (to_jsonb(p) || jsonb_build_object("
    "'sub_program_count', (SELECT count(*) FROM sub_observing_program sp "
    "WHERE sp.observing_program_id = p.id), "
    "'obs_unit_count', (SELECT count(*) FROM obs_unit u WHERE u.observing_program_id = p.id)"
    "))::text FROM observing_program p WHERE $1::int IS NULL OR p.id > $1::int "
    "ORDER BY p.id LIMIT $2::int";

const std::string kOne =
    "SELECT (to_jsonb(p) || jsonb_build_object("
    "'sub_programs', (SELECT coalesce(jsonb_agg(to_jsonb(sp) ORDER BY sp.id), '[]'::jsonb) "
    "FROM sub_observing_program sp WHERE sp.observing_program_id = p.id), "
    "'obs_units', (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.id), '[]'::jsonb) "
    "FROM obs_unit u WHERE u.observing_program_id = p.id)"
    "))::text FROM observing_program p WHERE p.id = $1::int";

const std::string kCreate =
    "INSERT INTO observing_program (name, short_name, description) VALUES ($1, $2, $3) "
    "RETURNING to_jsonb(observing_program.*)::text";

// $2/$4/$6 say whether a field is given; a given short_name or description may be null.
const std::string kUpdate =
    "UPDATE observing_program SET "
    "name = CASE WHEN $2::boolean THEN $3 ELSE name END, "
    "short_name = CASE WHEN $4::boolean THEN $5 ELSE short_name END, "
    "description = CASE WHEN $6::boolean THEN $7 ELSE description END "
    "WHERE id = $1::int RETURNING to_jsonb(observing_program.*)::text";

std::optional<std::string> flag(bool given) {
  return given ? "true" : "false";
}

Callback<Json> first_row(Callback<Json> done, std::string missing) {
  return [done = std::move(done), missing = std::move(missing)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    if (rows->empty()) return done(Error{Fault::not_found, missing, ""});
    done(std::move(rows->front()));
  };
}

}  // namespace

void PgProgramCatalog::programs(std::optional<int> after_id, int limit,
                                Callback<std::vector<Record>> done) {
  std::optional<std::string> after;
  if (after_id) after = std::to_string(*after_id);
  reads_.query({kList, {after, std::to_string(limit + 1)}},
               [done = std::move(done)](Result<Json> rows) {
                 if (!rows.ok()) return done(rows.error());
                 done(std::vector<Record>(rows->begin(), rows->end()));
               });
}

void PgProgramCatalog::program(int id, Callback<std::optional<Record>> done) {
  reads_.query({kOne, {std::to_string(id)}}, [done = std::move(done)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    if (rows->empty()) return done(std::optional<Record>{});
    done(std::optional<Record>(std::move(rows->front())));
  });
}

void PgProgramCatalog::create(ProgramFields f, Callback<Record> done) {
  main_.query({kCreate,
               {f.name, f.short_name.value_or(std::nullopt), f.description.value_or(std::nullopt)}},
              first_row(std::move(done), "the program was not created"));
}

void PgProgramCatalog::update(int id, ProgramFields f, Callback<Record> done) {
  main_.query(
      {kUpdate,
       {std::to_string(id), flag(f.name.has_value()), f.name, flag(f.short_name.has_value()),
        f.short_name.value_or(std::nullopt), flag(f.description.has_value()),
        f.description.value_or(std::nullopt)}},
      first_row(std::move(done), "observing program " + std::to_string(id) + " does not exist"));
}

}  // namespace opsdb
