#include "opsdb/postgres/pg_transfer_catalog.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;

// A package row with the count and total size of the files this database holds in it. The
// files are counted in a subquery of the select list rather than a join: PostgreSQL evaluates
// it only for the rows that make the page (after the sort and the limit), each through the
// index on raw_data_file.raw_data_package_id.
constexpr const char* kPackageRow = R"sql(
SELECT (to_jsonb(p) || (
  SELECT jsonb_build_object('file_count', count(*),
                            'file_size_bytes', coalesce(sum(f.size_bytes), 0)::bigint)
    FROM raw_data_file f WHERE f.raw_data_package_id = p.id))::text
FROM raw_data_package p
)sql";

// Each filter is off when its parameter is null; the statement is planned with its parameters'
// values, so an unused filter drops out of the plan. The cursor ($8, $9) is compared as a row
// value, so that packages created in the same microsecond are told apart by id, and it becomes a
// condition on the (created_at, id) index. The comparison and the order are fixed text: one
// statement per direction.
constexpr const char* kPackageFilters = R"sql(
WHERE ($1::text IS NULL OR p.state = $1::text)
  AND ($2::text IS NULL OR p.status = $2::text)
  AND ($3::uuid IS NULL OR p.executed_obs_unit_id = $3::uuid)
  AND ($4::integer IS NULL OR p.instrument_module_id = $4::integer)
  AND ($5::timestamptz IS NULL OR p.created_at >= $5::timestamptz)
  AND ($6::timestamptz IS NULL OR p.created_at < $6::timestamptz)
  AND ($7::text IS NULL OR starts_with(p.name, $7::text))
)sql";

const std::string kPackagesNewestFirst =
    std::string(kPackageRow) + kPackageFilters +
    "  AND ($8::timestamptz IS NULL OR (p.created_at, p.id) < ($8::timestamptz, $9::uuid))\n"
    "ORDER BY p.created_at DESC, p.id DESC LIMIT $10::integer";

const std::string kPackagesOldestFirst =
    std::string(kPackageRow) + kPackageFilters +
    "  AND ($8::timestamptz IS NULL OR (p.created_at, p.id) > ($8::timestamptz, $9::uuid))\n"
    "ORDER BY p.created_at, p.id LIMIT $10::integer";

const std::string kPackagesAmong = std::string(kPackageRow) + "WHERE p.id = ANY($1::uuid[])";

// The overview in one statement, so its parts are counted from one snapshot.
constexpr const char* kTotals = R"sql(
SELECT jsonb_build_object(
  'packages', (
    SELECT coalesce(jsonb_agg(jsonb_build_object('state', g.state, 'status', g.status,
                                                 'count', g.count, 'size_bytes', g.size_bytes)
                              ORDER BY g.state, g.status), '[]'::jsonb)
      FROM (SELECT p.state, p.status, count(*) AS count,
                   coalesce(sum(p.size_bytes), 0)::bigint AS size_bytes
              FROM raw_data_package p GROUP BY p.state, p.status) g),
  'transfers_by_status', (
    SELECT coalesce(jsonb_object_agg(s.status, s.count), '{}'::jsonb)
      FROM (SELECT t.status, count(*) AS count FROM data_transfer t GROUP BY t.status) s),
  'active_transfers', (
    SELECT coalesce(jsonb_agg(a.transfer ORDER BY a.started_at NULLS LAST, a.id), '[]'::jsonb)
      FROM (SELECT t.id, t.started_at,
                   jsonb_build_object('id', t.id, 'status', t.status, 'started_at', t.started_at,
                                      'bytes_transferred', t.bytes_transferred,
                                      'package_size_bytes', tp.size_bytes,
                                      'raw_data_package_id', tp.raw_data_package_id,
                                      'package_name', p.name,
                                      'origin_location', o.name,
                                      'destination_location', d.name) AS transfer
              FROM data_transfer t
              JOIN data_transfer_package tp ON tp.id = t.data_transfer_package_id
              JOIN raw_data_package p ON p.id = tp.raw_data_package_id
              JOIN data_location o ON o.id = t.origin_location_id
              JOIN data_location d ON d.id = t.destination_location_id
             WHERE t.status = 'transferring'
             ORDER BY t.started_at NULLS LAST, t.id
             LIMIT 100) a)
)::text
)sql";

// One statement, hence one transaction: the transfer is locked, reset only if it failed, and
// the change recorded with the error it had. The rows written here are not yet visible to the
// statement's own reads, so the new history row comes from `logged`, the earlier ones from the
// table. The answer tells "no such transfer" (found false) from "not failed" (transfer null).
constexpr const char* kResetTransfer = R"sql(
WITH target AS (
  SELECT t.id, t.status, t.error_message FROM data_transfer t WHERE t.id = $1::bigint FOR UPDATE
), reset AS (
  UPDATE data_transfer t
     SET status = 'pending', error_message = NULL, started_at = NULL, finished_at = NULL,
         bytes_transferred = 0, updated_at = now()
    FROM target
   WHERE t.id = target.id AND target.status = 'failed'
  RETURNING t.*
), logged AS (
  INSERT INTO data_transfer_history (data_transfer_id, from_status, to_status, error_message,
                                     changed_by)
  SELECT target.id, target.status, 'pending', target.error_message, $2::text
    FROM target JOIN reset ON reset.id = target.id
  RETURNING *
)
SELECT jsonb_build_object(
  'found', EXISTS (SELECT 1 FROM target),
  'status', (SELECT target.status FROM target),
  'transfer', (
    SELECT to_jsonb(reset) || jsonb_build_object('history', (
      SELECT coalesce(jsonb_agg(to_jsonb(h) ORDER BY h.changed_at DESC, h.id DESC), '[]'::jsonb)
        FROM (SELECT * FROM logged
              UNION ALL
              SELECT * FROM data_transfer_history old
               WHERE old.data_transfer_id = $1::bigint) h))
      FROM reset)
)::text
)sql";

Error unexpected_answer(const std::string& what) {
  return Error{Fault::internal, "the database answered " + what + " in an unexpected shape", ""};
}

// What the reset statement's one row says: the transfer as it is now, or why it was not reset.
Result<Json> reset_outcome(long long id, const Json& rows) {
  if (rows.size() != 1 || !rows[0].is_object()) {
    return unexpected_answer("the reset of a data transfer");
  }
  const auto& answer = rows[0];
  const auto name = "data transfer " + std::to_string(id);
  if (!answer.value("found", false)) {
    return Error{Fault::not_found, name + " does not exist", ""};
  }
  const auto transfer = answer.find("transfer");
  if (transfer != answer.end() && transfer->is_object()) return *transfer;
  const auto status = answer.value("status", std::string("unknown"));
  return Error{Fault::conflict,
               name + " is " + status + ", not failed: only a failed transfer can be reset", ""};
}

}  // namespace

void PgTransferCatalog::fetch_many(SqlQuery query, Callback<std::vector<Record>> done) {
  reads_.query(std::move(query), [done = std::move(done)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    std::vector<Record> records;
    records.reserve(rows->size());
    for (auto& row : *rows) records.push_back(std::move(row));
    done(std::move(records));
  });
}

void PgTransferCatalog::packages(const PackageFilter& f, Callback<std::vector<Record>> done) {
  std::optional<std::string> instrument_module_id, after_time, after_id;
  if (f.instrument_module_id) instrument_module_id = std::to_string(*f.instrument_module_id);
  if (f.after) {
    after_time = f.after->time;
    after_id = f.after->id;
  }
  fetch_many({f.oldest_first ? kPackagesOldestFirst : kPackagesNewestFirst,
              {f.state, f.status, f.executed_obs_unit_id, instrument_module_id, f.since, f.until,
               f.name_prefix, after_time, after_id, std::to_string(f.limit + 1)}},
             std::move(done));
}

void PgTransferCatalog::packages_among(const std::vector<std::string>& ids,
                                       Callback<std::vector<Record>> done) {
  if (ids.empty()) return done(std::vector<Record>{});
  fetch_many({kPackagesAmong, {uuid_array(ids)}}, std::move(done));
}

void PgTransferCatalog::totals(Callback<Record> done) {
  reads_.query({kTotals, {}}, [done = std::move(done)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    if (rows->size() != 1 || !(*rows)[0].is_object()) {
      return done(unexpected_answer("the transfer totals"));
    }
    done(std::move((*rows)[0]));
  });
}

void PgTransferCatalog::reset_transfer(long long id, const std::string& changed_by,
                                       Callback<Record> done) {
  main_.query({kResetTransfer, {std::to_string(id), changed_by}},
              [id, done = std::move(done)](Result<Json> rows) {
                if (!rows.ok()) return done(rows.error());
                done(reset_outcome(id, *rows));
              });
}

}  // namespace opsdb
