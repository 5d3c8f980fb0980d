#pragma once

#include "opsdb/postgres/database.hpp"
#include "opsdb/query/transfer_catalog.hpp"

namespace opsdb {

/// Data packages and their transfers: read from `reads` (the local database: the replica at a
/// secondary site), a failed transfer reset on `main` in one statement.
class PgTransferCatalog final : public TransferCatalog {
 public:
  PgTransferCatalog(Database& reads, Database& main) : reads_(reads), main_(main) {}

  void packages(const PackageFilter& filter, Callback<std::vector<Record>> done) override;
  void packages_among(const std::vector<std::string>& ids,
                      Callback<std::vector<Record>> done) override;
  void totals(Callback<Record> done) override;
  void reset_transfer(long long id, const std::string& changed_by, Callback<Record> done) override;

 private:
  void fetch_many(SqlQuery query, Callback<std::vector<Record>> done);

  Database& reads_;
  Database& main_;
};

}  // namespace opsdb
