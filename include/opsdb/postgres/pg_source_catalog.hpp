#pragma once

#include "opsdb/postgres/database.hpp"
#include "opsdb/query/source_catalog.hpp"

namespace opsdb {

/// The `source` table of the local database. A cone search reads the fixed sources of the
/// cone's window through the declination index and keeps those within the radius
/// (`cone_page`).
class PgSourceCatalog final : public SourceCatalog {
 public:
  explicit PgSourceCatalog(Database& db) : db_(db) {}

  void sources(const SourceFilter& filter, Callback<std::vector<Record>> done) override;
  void source(long long id, bool details, Callback<std::optional<Record>> done) override;
  void resolve(const std::string& name, Callback<std::optional<Record>> done) override;

  /// Candidates one cone search reads at most; a wider cone is refused as too wide.
  static constexpr int kMaxConeCandidates = 100'000;

 private:
  void fetch_one(SqlQuery query, Callback<std::optional<Record>> done);

  Database& db_;
};

}  // namespace opsdb
