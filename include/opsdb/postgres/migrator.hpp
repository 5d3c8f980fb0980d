#pragma once

#include <string>
#include <vector>

#include "opsdb/config/config.hpp"

namespace opsdb {

/// Applies the embedded migrations not yet recorded in `schema_migrations`, each in its own
/// transaction, in order, and returns the names it applied. Safe to run repeatedly and from
/// several processes at once (an advisory lock serialises them). Blocking: command line only.
std::vector<std::string> migrate(const DbConfig& db);

/// Loads the demo reference data (idempotent). Blocking: command line only.
void seed_demo(const DbConfig& db);

}  // namespace opsdb
