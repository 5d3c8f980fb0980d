#include "opsdb/postgres/pg_credentials.hpp"

#include "opsdb/core/timestamp.hpp"

namespace opsdb {
namespace {

using auth::TokenInfo;
using auth::TokenRecord;
using auth::UserRecord;
using Json = nlohmann::json;

// Names travel as one JSON array parameter, so any text is safe in them.
std::string json_list(const std::vector<std::string>& names) {
  return Json(names).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The roles a user holds, as a JSON array of names.
constexpr const char* kUserRoles =
    "COALESCE((SELECT json_agg(r.name ORDER BY r.name) FROM user_role ur "
    "JOIN role r ON r.id = ur.role_id WHERE ur.user_id = u.id), '[]'::json)";

const std::string kFindTokens = std::string(
                                    "SELECT json_build_object('prefix', t.prefix, 'token_hash', "
                                    "t.token_hash, 'name', t.name, 'user', u.username, "
                                    "'user_active', u.is_active, 'user_roles', ") +
                                kUserRoles +
                                ", 'scopes', to_json(t.scopes), 'expires_at', t.expires_at, "
                                "'active', t.is_active)::text "
                                "FROM api_token t JOIN \"user\" u ON u.id = t.user_id "
                                "WHERE t.prefix IN (SELECT jsonb_array_elements_text($1::jsonb))";

const std::string kFindUsers =
    std::string(
        "SELECT json_build_object('username', u.username, 'active', u.is_active, "
        "'roles', ") +
    kUserRoles +
    ")::text FROM \"user\" u "
    "WHERE u.username IN (SELECT jsonb_array_elements_text($1::jsonb))";

// What may be shown of a token row `t` owned by `u`.
constexpr const char* kTokenInfo =
    "json_build_object('prefix', t.prefix, 'name', t.name, 'user', u.username, 'scopes', "
    "to_json(t.scopes), 'created_at', t.created_at, 'expires_at', t.expires_at, "
    "'last_used_at', t.last_used_at, 'active', t.is_active)";

// One statement: the user (created when provisioning, $7), the role granted when provisioning,
// the token. No row when the user does not exist or is inactive and provisioning is off.
const std::string kCreateToken =
    std::string(
        "WITH new_user AS (INSERT INTO \"user\" (username) SELECT $1 WHERE $7::boolean "
        "ON CONFLICT (username) DO NOTHING RETURNING id, username), "
        "target AS (SELECT id, username FROM new_user UNION ALL SELECT id, username "
        "FROM \"user\" WHERE username = $1 AND (is_active OR $7::boolean)), "
        "granted AS (INSERT INTO user_role (user_id, role_id) SELECT target.id, role.id "
        "FROM target, role WHERE role.name = $2 AND $7::boolean ON CONFLICT DO NOTHING), "
        "t AS (INSERT INTO api_token (user_id, name, token_hash, prefix, scopes, expires_at) "
        "SELECT target.id, $3, $4, $5, ARRAY[$2]::text[], $6::timestamptz FROM target "
        "RETURNING *) "
        "SELECT ") +
    // The statement's own snapshot does not see a user it creates: the name comes from `target`.
    kTokenInfo + "::text FROM t JOIN target u ON u.id = t.user_id";

const std::string kListTokens =
    std::string("SELECT ") + kTokenInfo +
    "::text FROM api_token t JOIN \"user\" u ON u.id = t.user_id "
    "WHERE $1::text IS NULL OR u.username = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT 1000";

// Deactivates only when the prefix names exactly one token; says how many it named.
const std::string kRevokeToken =
    std::string(
        "WITH candidates AS (SELECT t.id FROM api_token t JOIN \"user\" u ON u.id = t.user_id "
        "WHERE t.prefix = $1 AND ($2::text IS NULL OR u.username = $2)), "
        "revoked AS (UPDATE api_token SET is_active = false "
        "WHERE id IN (SELECT id FROM candidates) AND (SELECT count(*) FROM candidates) = 1 "
        "RETURNING *) "
        "SELECT json_build_object('count', (SELECT count(*) FROM candidates), 'token', "
        "(SELECT ") +
    kTokenInfo + " FROM revoked t JOIN \"user\" u ON u.id = t.user_id))::text";

const std::string kRecordUse =
    "UPDATE api_token SET last_used_at = now() "
    "WHERE prefix IN (SELECT jsonb_array_elements_text($1::jsonb))";

std::vector<Role> roles_of(const Json& names) {
  std::vector<Role> roles;
  if (!names.is_array()) return roles;
  for (const auto& name : names) {
    if (!name.is_string()) continue;
    if (auto role = parse_role(name.get<std::string>())) roles.push_back(*role);
  }
  return roles;
}

std::optional<std::chrono::system_clock::time_point> time_of(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  return parse_timestamp(value.get<std::string>());
}

std::string text_of(const Json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag_of(const Json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_boolean() && it->get<bool>();
}

TokenInfo token_info(const Json& row) {
  return TokenInfo{.prefix = text_of(row, "prefix"),
                   .name = text_of(row, "name"),
                   .user = text_of(row, "user"),
                   .scopes = roles_of(row.value("scopes", Json())),
                   .created_at = time_of(row.value("created_at", Json()))
                                     .value_or(std::chrono::system_clock::time_point{}),
                   .expires_at = time_of(row.value("expires_at", Json())),
                   .last_used_at = time_of(row.value("last_used_at", Json())),
                   .active = flag_of(row, "active")};
}

}  // namespace

void PgCredentialStore::query(SqlQuery query, Callback<Json> done) {
  if (fallback_ == nullptr) return db_.query(std::move(query), std::move(done));
  db_.query(query, [this, query, done = std::move(done)](Result<Json> rows) mutable {
    if (rows.ok() || !rows.error().is(Fault::unavailable)) return done(std::move(rows));
    fallback_->query(std::move(query), std::move(done));
  });
}

void PgCredentialStore::find_tokens(std::vector<std::string> prefixes,
                                    Callback<std::vector<TokenRecord>> done) {
  query({kFindTokens, {json_list(prefixes)}}, [done = std::move(done)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    std::vector<TokenRecord> records;
    for (const auto& row : *rows) {
      records.push_back(TokenRecord{.prefix = text_of(row, "prefix"),
                                    .token_hash = text_of(row, "token_hash"),
                                    .name = text_of(row, "name"),
                                    .user = text_of(row, "user"),
                                    .user_active = flag_of(row, "user_active"),
                                    .user_roles = roles_of(row.value("user_roles", Json())),
                                    .scopes = roles_of(row.value("scopes", Json())),
                                    .expires_at = time_of(row.value("expires_at", Json())),
                                    .active = flag_of(row, "active")});
    }
    done(std::move(records));
  });
}

void PgCredentialStore::find_users(std::vector<std::string> usernames,
                                   Callback<std::vector<UserRecord>> done) {
  query({kFindUsers, {json_list(usernames)}}, [done = std::move(done)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    std::vector<UserRecord> records;
    for (const auto& row : *rows) {
      records.push_back(UserRecord{.username = text_of(row, "username"),
                                   .active = flag_of(row, "active"),
                                   .roles = roles_of(row.value("roles", Json()))});
    }
    done(std::move(records));
  });
}

void PgTokenRegistry::create(auth::TokenRow row, Callback<TokenInfo> done) {
  std::optional<std::string> expires;
  if (row.expires_at) expires = format_timestamp(*row.expires_at);
  const std::string user = row.user;
  db_.query({kCreateToken,
             {row.user, role_name(row.role), row.name, row.token_hash, row.prefix, expires,
              row.provision_user ? "true" : "false"}},
            [user, done = std::move(done)](Result<Json> rows) {
              if (!rows.ok()) return done(rows.error());
              if (rows->empty()) {
                return done(Error{Fault::not_found, "no active user '" + user + "'", ""});
              }
              done(token_info(rows->front()));
            });
}

void PgTokenRegistry::list(std::optional<std::string> user, Callback<std::vector<TokenInfo>> done) {
  db_.query({kListTokens, {std::move(user)}}, [done = std::move(done)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    std::vector<TokenInfo> tokens;
    for (const auto& row : *rows) tokens.push_back(token_info(row));
    done(std::move(tokens));
  });
}

void PgTokenRegistry::revoke(std::string prefix, std::optional<std::string> user,
                             Callback<TokenInfo> done) {
  db_.query({kRevokeToken, {prefix, std::move(user)}},
            [prefix, done = std::move(done)](Result<Json> rows) {
              if (!rows.ok()) return done(rows.error());
              const auto answer = rows->empty() ? Json::object() : rows->front();
              const auto count = answer.value("count", 0);
              if (count == 0) {
                return done(Error{Fault::not_found, "no token with prefix " + prefix, ""});
              }
              if (count > 1) {
                return done(Error{Fault::conflict,
                                  "the prefix " + prefix + " names " + std::to_string(count) +
                                      " tokens; revoke them where their rows can be told apart",
                                  ""});
              }
              done(token_info(answer.value("token", Json::object())));
            });
}

void PgTokenRegistry::record_use(std::vector<std::string> prefixes, Callback<void> done) {
  db_.query({kRecordUse, {json_list(prefixes)}}, [done = std::move(done)](Result<Json> rows) {
    if (!rows.ok()) return done(rows.error());
    done(Status{});
  });
}

}  // namespace opsdb
