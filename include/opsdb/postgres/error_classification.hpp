#pragma once

#include <string_view>

#include "opsdb/core/result.hpp"

namespace opsdb {

/// Whose fault a PostgreSQL error is, by SQLSTATE (DESIGN §6).
///
/// `Fault::rejected`: the row or the transaction itself is at fault (a constraint violation, a
/// value the column cannot take, an update that matched no row, a document too large to
/// process). Retrying it unchanged fails again; the drain counts it against that transaction.
///
/// `Fault::unavailable`: anything the database says about itself rather than about one row —
/// unreachable, shutting down, read-only, missing privileges or objects, out of resources,
/// conflicts that a retry resolves. Nothing is counted against the transaction; the drain
/// pauses and tries again. Unknown classes land here too: blaming a write for a reason nobody
/// foresaw would dead-letter good data.
Fault classify_sqlstate(std::string_view sqlstate);

/// A short operator-facing reason for a site-wide SQLSTATE ("the main database is read-only"),
/// or an empty view when there is nothing more specific than the server's message.
std::string_view describe_sqlstate(std::string_view sqlstate);

}  // namespace opsdb
