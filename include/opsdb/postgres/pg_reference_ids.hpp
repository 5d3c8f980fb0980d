#pragma once

#include "opsdb/postgres/database.hpp"
#include "opsdb/tx/reference_ids.hpp"

namespace opsdb {

/// Reference ids read from the local database. Table names come from the schema registry and
/// are checked against it before they reach SQL.
class PgReferenceIds final : public ReferenceIds {
 public:
  explicit PgReferenceIds(Database& db) : db_(db) {}

  void all(const std::set<std::string>& tables, Callback<IdsByTable> done) override;
  void exists(const std::string& table, long long id, Callback<bool> done) override;

 private:
  Database& db_;
};

}  // namespace opsdb
