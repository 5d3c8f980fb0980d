#pragma once

#include <optional>
#include <string>
#include <vector>

#include "opsdb/auth/token_issuer.hpp"
#include "opsdb/config/config.hpp"

namespace opsdb {

/// The command line's token commands: each runs one call on the main database and waits for
/// it (bounded by MAIN_DB_CONNECT_TIMEOUT + MAIN_DB_STATEMENT_TIMEOUT). Failures throw
/// std::runtime_error with a message for the operator.
auth::IssuedToken create_token(const Config& config, auth::TokenRequest request);
std::vector<auth::TokenInfo> list_tokens(const Config& config, std::optional<std::string> user);
auth::TokenInfo revoke_token(const Config& config, std::string prefix);

}  // namespace opsdb
