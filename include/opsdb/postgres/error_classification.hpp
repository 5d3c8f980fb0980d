#pragma once

#include <string_view>

#include "opsdb/core/result.hpp"

namespace opsdb {

/// Whose fault a server error is, by SQLSTATE (DESIGN §6). Connection exceptions (08),
/// transaction rollbacks such as serialization failures and deadlocks (40), resource and
/// operator problems (53, 55, 57 — shutdown, statement timeout), system errors (58) and internal
/// errors (XX) are not the transaction's fault: `unavailable`. Everything else (22 data,
/// 23 integrity, 42 syntax/undefined, P0002 no row) is: `rejected`.
Fault classify_sqlstate(std::string_view sqlstate);

}  // namespace opsdb
