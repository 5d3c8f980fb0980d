#pragma once

#include "opsdb/auth/credential_store.hpp"
#include "opsdb/auth/token_registry.hpp"
#include "opsdb/postgres/database.hpp"

namespace opsdb {

/// Credentials as verification reads them, from the local database (the replica at a secondary
/// site), in one indexed statement per call. When the local database cannot be reached, the
/// same statement goes to `fallback` (the main database) if there is one: a site whose replica is
/// down still verifies while Cologne answers.
class PgCredentialStore final : public auth::CredentialStore {
 public:
  explicit PgCredentialStore(Database& local_db, Database* fallback = nullptr)
      : db_(local_db), fallback_(fallback) {}

  void find_tokens(std::vector<std::string> prefixes,
                   Callback<std::vector<auth::TokenRecord>> done) override;
  void find_users(std::vector<std::string> usernames,
                  Callback<std::vector<auth::UserRecord>> done) override;

 private:
  void query(SqlQuery query, Callback<nlohmann::json> done);

  Database& db_;
  Database* fallback_;
};

/// The `api_token` table on the main database: tokens are created, listed and revoked there and
/// reach the replicas by replication.
class PgTokenRegistry final : public auth::TokenRegistry {
 public:
  explicit PgTokenRegistry(Database& main_db) : db_(main_db) {}

  void create(auth::TokenRow row, Callback<auth::TokenInfo> done) override;
  void list(std::optional<std::string> user, Callback<std::vector<auth::TokenInfo>> done) override;
  void revoke(std::string prefix, std::optional<std::string> user,
              Callback<auth::TokenInfo> done) override;
  void record_use(std::vector<std::string> prefixes, Callback<void> done) override;

 private:
  Database& db_;
};

}  // namespace opsdb
