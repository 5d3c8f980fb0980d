#pragma once

#include <string_view>

#include "opsdb/core/error.hpp"
#include "opsdb/core/result.hpp"

namespace opsdb {

/// The dependency whose operation failed: it decides the words a client is told.
enum class Dependency {
  database,
  buffer,
  /// The buffer taking a client's write: its failures say whether the write may have been taken.
  buffer_write,
  /// The local database a secondary site reads from (its replica of the main database).
  local_database,
};

/// The one translation of a port's Error into the error a client gets.
///
/// Database: a refusal of the data → 404 for an update of a missing row, 409 for a duplicate,
/// 422 for anything else the data violated; a row the adapter did not find → 404, more rows
/// than one → 409; everything else → 503.
/// Buffer: unreachable or in doubt → 503; not found → 404 and conflict → 409 with the buffer's
/// own message, which names the transaction. Taking a write: 503 `not_accepted` when the
/// command never reached Redis, `outcome_unknown` when it did but no confirmation came (the
/// database likewise, when the connection broke during the commit).
///
/// The codes of the two 503s of a write whose fate differs.
inline constexpr std::string_view kNotAccepted = "not_accepted";
inline constexpr std::string_view kOutcomeUnknown = "outcome_unknown";
ApiError to_api_error(const Error& error, Dependency dependency);

}  // namespace opsdb
