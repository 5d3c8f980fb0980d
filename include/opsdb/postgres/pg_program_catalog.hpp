#pragma once

#include "opsdb/postgres/database.hpp"
#include "opsdb/query/program_catalog.hpp"

namespace opsdb {

/// Observing programs: read from `reads` (the local database), changed on `main` in one
/// statement each.
class PgProgramCatalog final : public ProgramCatalog {
 public:
  PgProgramCatalog(Database& reads, Database& main) : reads_(reads), main_(main) {}

  void programs(std::optional<int> after_id, int limit,
                Callback<std::vector<Record>> done) override;
  void program(int id, Callback<std::optional<Record>> done) override;
  void create(ProgramFields fields, Callback<Record> done) override;
  void update(int id, ProgramFields fields, Callback<Record> done) override;

 private:
  Database& reads_;
  Database& main_;
};

}  // namespace opsdb
