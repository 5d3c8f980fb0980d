#include "opsdb/postgres/pg_source_catalog.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;

// Name and type filters shared by both orders: $1 a case-insensitive substring, $2 the type.
constexpr const char* kFilters =
    "($1::text IS NULL OR strpos(lower(s.name), lower($1)) > 0) "
    "AND ($2::text IS NULL OR s.type = $2)";

const std::string kByName = std::string("SELECT to_jsonb(s)::text FROM source s WHERE ") +
                            kFilters +
                            " AND ($3::text IS NULL OR (s.name, s.id) > ($3, $4::bigint)) "
                            "ORDER BY s.name, s.id LIMIT $5::int";

// The window: a declination band ($3, $4) on the partial index of fixed sources (only they have
// a position), and right-ascension ranges ($5, a JSON array of [low, high] pairs).
const std::string kInWindow =
    std::string("SELECT to_jsonb(s)::text FROM source s WHERE ") + kFilters +
    " AND s.type = 'fixed_source' AND s.dec_deg BETWEEN $3::float8 AND $4::float8 AND EXISTS "
    "(SELECT 1 FROM "
    "jsonb_array_elements($5::jsonb) r WHERE s.ra_deg BETWEEN (r->>0)::float8 AND "
    "(r->>1)::float8) LIMIT $6::int";

// The other names of the source `s`, sorted; every single source answered carries them.
constexpr const char* kAliases =
    "(SELECT coalesce(jsonb_agg(sa.alias ORDER BY sa.alias), '[]'::jsonb) "
    "FROM source_alias sa WHERE sa.source_id = s.id)";

const std::string kById = std::string("SELECT (to_jsonb(s) || jsonb_build_object('aliases', ") +
                          kAliases + "))::text FROM source s WHERE s.id = $1::bigint";

const std::string kDetails =
    std::string("SELECT (to_jsonb(s) || jsonb_build_object('aliases', ") + kAliases +
    ", 'obs_units', (SELECT "
    "coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.id), '[]'::jsonb) FROM obs_unit u "
    "WHERE u.source_id = s.id)))::text FROM source s WHERE s.id = $1::bigint";

// A name first, then an alias, both compared case-insensitively through their lower() indexes.
// Names are unique only as written: among names equal but for case, the one written exactly as
// asked wins, else the oldest. `how` tells the caller which kind of name matched.
const std::string kResolve = std::string(R"sql(
WITH hit AS (
  (SELECT n.id AS source_id, jsonb_build_object('matched', 'name') AS how, 0 AS rank
     FROM source n WHERE lower(n.name) = lower($1::text)
    ORDER BY n.name <> $1::text, n.id LIMIT 1)
  UNION ALL
  (SELECT a.source_id, jsonb_build_object('matched', 'alias', 'alias', a.alias), 1
     FROM source_alias a WHERE lower(a.alias) = lower($1::text))
  ORDER BY rank LIMIT 1
)
SELECT (to_jsonb(s) || hit.how || jsonb_build_object('aliases', )sql") +
                             kAliases + "))::text FROM hit JOIN source s ON s.id = hit.source_id";

}  // namespace

void PgSourceCatalog::sources(const SourceFilter& f, Callback<std::vector<Record>> done) {
  if (!f.cone) {
    std::optional<std::string> after_name, after_id;
    if (f.after) {
      after_name = f.after->first;
      after_id = std::to_string(f.after->second);
    }
    db_.query(
        {kByName, {f.name_contains, f.type, after_name, after_id, std::to_string(f.limit + 1)}},
        [done = std::move(done)](Result<Json> rows) {
          if (!rows.ok()) return done(rows.error());
          done(std::vector<Record>(rows->begin(), rows->end()));
        });
    return;
  }
  const auto window = cone_window(f.cone->center, f.cone->radius_deg);
  auto ranges = Json::array();
  for (const auto& [low, high] : window.ra_ranges) ranges.push_back({low, high});
  db_.query({kInWindow,
             {f.name_contains, f.type, distance_key(window.dec_min), distance_key(window.dec_max),
              ranges.dump(), std::to_string(kMaxConeCandidates + 1)}},
            [cone = *f.cone, after = f.after, limit = f.limit,
             done = std::move(done)](Result<Json> rows) {
              if (!rows.ok()) return done(rows.error());
              if (rows->size() > static_cast<std::size_t>(kMaxConeCandidates)) {
                return done(Error{Fault::rejected,
                                  "the cone holds more than " + std::to_string(kMaxConeCandidates) +
                                      " candidate sources: use a smaller radius",
                                  "cone_too_wide"});
              }
              done(cone_page(std::vector<Record>(rows->begin(), rows->end()), cone.center,
                             cone.radius_deg, after, limit));
            });
}

void PgSourceCatalog::fetch_one(SqlQuery query, Callback<std::optional<Record>> done) {
  db_.query(std::move(query), [done = std::move(done)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    if (rows->empty()) return done(std::optional<Record>{});
    done(std::optional<Record>(std::move(rows->front())));
  });
}

void PgSourceCatalog::source(long long id, bool details, Callback<std::optional<Record>> done) {
  fetch_one({details ? kDetails : kById, {std::to_string(id)}}, std::move(done));
}

void PgSourceCatalog::resolve(const std::string& name, Callback<std::optional<Record>> done) {
  fetch_one({kResolve, {name}}, std::move(done));
}

}  // namespace opsdb
