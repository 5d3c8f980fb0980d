#include "opsdb/postgres/pg_read_store.hpp"

#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

// The children are found by the parameter, not by `e.id`: a correlated reference makes the
// planner estimate an average observation's rows, and once one observation has a million files
// that average picks a scan of the whole table for every read. With the value itself it reads
// that observation's statistics and takes the index.
constexpr const char* kObservationById = R"sql(
SELECT (to_jsonb(e) || jsonb_build_object(
  'raw_data_files', (SELECT coalesce(jsonb_agg(to_jsonb(f) ORDER BY f.created_at, f.id), '[]'::jsonb)
                       FROM raw_data_file f WHERE f.executed_obs_unit_id = $1::uuid),
  'raw_data_packages', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.created_at, p.id), '[]'::jsonb)
                          FROM raw_data_package p WHERE p.executed_obs_unit_id = $1::uuid),
  'instrument_module_configurations',
      (SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.recorded_at, c.id), '[]'::jsonb)
         FROM instrument_module_configuration c WHERE c.executed_obs_unit_id = $1::uuid),
  'status_changes', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.changed_at, s.id), '[]'::jsonb)
                       FROM executed_obs_unit_status_change s WHERE s.executed_obs_unit_id = $1::uuid)
))::text
FROM executed_obs_unit e WHERE e.id = $1::uuid)sql";

// Keyset pagination newest first; each filter is off when its parameter is null.
constexpr const char* kObservations = R"sql(
SELECT to_jsonb(e)::text FROM executed_obs_unit e
WHERE ($1::integer IS NULL OR e.obs_unit_id = $1::integer)
  AND ($2::text IS NULL OR e.status = $2::text)
  AND ($3::timestamptz IS NULL OR e.start_time >= $3::timestamptz)
  AND ($4::timestamptz IS NULL OR e.start_time < $4::timestamptz)
  AND ($5::timestamptz IS NULL OR (e.start_time, e.id) < ($5::timestamptz, $6::uuid))
  AND ($8::uuid[] IS NULL OR e.id = ANY($8::uuid[]))
ORDER BY e.start_time DESC, e.id DESC
LIMIT $7::integer)sql";

constexpr const char* kRawDataFileById =
    "SELECT to_jsonb(f)::text FROM raw_data_file f WHERE f.id = $1::uuid";

// As above: the files by the parameter.
constexpr const char* kRawDataPackageById = R"sql(
SELECT (to_jsonb(p) || jsonb_build_object(
  'raw_data_files', (SELECT coalesce(jsonb_agg(to_jsonb(f) ORDER BY f.created_at, f.id), '[]'::jsonb)
                       FROM raw_data_file f WHERE f.raw_data_package_id = $1::uuid)))::text
FROM raw_data_package p WHERE p.id = $1::uuid)sql";

}  // namespace

void PgReadStore::fetch_one(SqlQuery query, Callback<std::optional<Record>> done) {
  db_.query(std::move(query), [done = std::move(done)](Result<nlohmann::json> r) {
    if (!r.ok()) return done(r.error());
    if (r->empty()) return done(std::optional<Record>());
    done(std::optional<Record>(std::move((*r)[0])));
  });
}

void PgReadStore::fetch_many(SqlQuery query, Callback<std::vector<Record>> done) {
  db_.query(std::move(query), [done = std::move(done)](Result<nlohmann::json> r) {
    if (!r.ok()) return done(r.error());
    std::vector<Record> rows;
    rows.reserve(r->size());
    for (auto& row : *r) rows.push_back(std::move(row));
    done(std::move(rows));
  });
}

void PgReadStore::observation(const std::string& id, Callback<std::optional<Record>> done) {
  fetch_one({kObservationById, {id}}, std::move(done));
}

void PgReadStore::observations(const ObservationFilter& f, Callback<std::vector<Record>> done) {
  fetch_observations(f, std::nullopt, f.limit + 1, std::move(done));
}

void PgReadStore::observations_among(const std::vector<std::string>& ids,
                                     const ObservationFilter& f,
                                     Callback<std::vector<Record>> done) {
  if (ids.empty()) return done(std::vector<Record>{});
  fetch_observations(f, uuid_array(ids), static_cast<int>(ids.size()), std::move(done));
}

void PgReadStore::fetch_observations(const ObservationFilter& f, std::optional<std::string> ids,
                                     int limit, Callback<std::vector<Record>> done) {
  std::optional<std::string> cursor_time, cursor_id;
  if (f.cursor) std::tie(cursor_time, cursor_id) = cursor_position(*f.cursor);
  std::optional<std::string> obs_unit_id;
  if (f.obs_unit_id) obs_unit_id = std::to_string(*f.obs_unit_id);
  SqlQuery query{kObservations,
                 {obs_unit_id, f.status, f.since, f.until, cursor_time, cursor_id,
                  std::to_string(limit), std::move(ids)}};
  fetch_many(std::move(query), std::move(done));
}

void PgReadStore::rows(const std::string& table, const std::vector<std::string>& ids,
                       Callback<std::vector<Record>> done) {
  if (ids.empty()) return done(std::vector<Record>{});
  // The identifier comes from the compiled-in registry, never from the caller's text.
  const Table* known = SchemaRegistry::instance().table(table);
  if (known == nullptr) {
    return done(Error{Fault::internal, "no table '" + table + "' in the schema registry", ""});
  }
  SqlQuery query{"SELECT to_jsonb(t)::text FROM " + known->name +
                     " t WHERE t.id = ANY($1::uuid[])",
                 {uuid_array(ids)}};
  fetch_many(std::move(query), std::move(done));
}

void PgReadStore::raw_data_file(const std::string& id, Callback<std::optional<Record>> done) {
  fetch_one({kRawDataFileById, {id}}, std::move(done));
}

void PgReadStore::raw_data_package(const std::string& id, Callback<std::optional<Record>> done) {
  fetch_one({kRawDataPackageById, {id}}, std::move(done));
}

}  // namespace opsdb
