#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace opsdb {

/// Rewrites the timestamps of a row of `table` (and of its nested child lists) canonically, so
/// rows from the database and records from the buffer compare and sort alike.
void normalize_record(const std::string& table, nlohmann::json& record);

}  // namespace opsdb
