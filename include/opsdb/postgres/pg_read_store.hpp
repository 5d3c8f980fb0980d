#pragma once

#include "opsdb/postgres/database.hpp"
#include "opsdb/query/read_store.hpp"

namespace opsdb {

/// The read endpoints' records from PostgreSQL (the main database at the main site, the local
/// replica at a secondary site), each fetched in one statement that builds the document.
class PgReadStore final : public ReadStore {
 public:
  explicit PgReadStore(Database& db) : db_(db) {}

  void observation(const std::string& id, Callback<std::optional<Record>> done) override;
  void observations(const ObservationFilter& filter, Callback<std::vector<Record>> done) override;
  void observations_among(const std::vector<std::string>& ids, const ObservationFilter& filter,
                          Callback<std::vector<Record>> done) override;
  void rows(const std::string& table, const std::vector<std::string>& ids,
            Callback<std::vector<Record>> done) override;
  void raw_data_file(const std::string& id, Callback<std::optional<Record>> done) override;
  void raw_data_package(const std::string& id, Callback<std::optional<Record>> done) override;

 private:
  void fetch_one(SqlQuery query, Callback<std::optional<Record>> done);
  void fetch_many(SqlQuery query, Callback<std::vector<Record>> done);
  void fetch_observations(const ObservationFilter& filter, std::optional<std::string> ids,
                          int limit, Callback<std::vector<Record>> done);

  Database& db_;
};

}  // namespace opsdb
