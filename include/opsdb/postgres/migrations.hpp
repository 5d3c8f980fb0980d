#pragma once

#include <string>
#include <vector>

namespace opsdb {

/// One schema migration: a name (file name without extension, ordered) and its SQL.
struct Migration {
  std::string name;
  std::string sql;
};

/// The migrations compiled into the binary, in order.
const std::vector<Migration>& embedded_migrations();

/// The demo reference data loaded by `ops-db-api seed-demo` (idempotent SQL).
const std::string& embedded_demo_seed();

}  // namespace opsdb
