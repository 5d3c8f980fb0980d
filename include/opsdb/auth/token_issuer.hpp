#pragma once

#include <optional>
#include <string>

#include "opsdb/auth/token_registry.hpp"
#include "opsdb/core/clock.hpp"

namespace opsdb::auth {

/// What someone asks a token for.
struct TokenRequest {
  std::string user{};
  Role role = Role::viewer;
  std::string name{};
  /// Days until it expires; none: it never expires.
  std::optional<int> expires_in_days{};
  bool provision_user = false;  // see TokenRow
};

/// A token just made: the only moment the token itself exists outside its holder.
struct IssuedToken {
  std::string token{};
  TokenInfo info{};
};

/// The limits `issue_token` applies, for documents and messages.
inline constexpr int kMaxTokenDays = 3650;
inline constexpr std::size_t kMaxTokenNameBytes = 100;

/// What is wrong with a token request, in words for the requester ("a token needs ..."); nothing
/// when it is fine: a name of 1 to kMaxTokenNameBytes bytes without control characters, 1 to
/// kMaxTokenDays days, a role a user can hold.
std::optional<std::string> token_request_problem(const TokenRequest& request);

/// Checks the request (`token_request_problem`), makes a token from the cryptographic generator and
/// stores only its hash. A bad request fails with Fault::rejected and a message for the requester;
/// the one way tokens are made, for the command line and the HTTP API alike.
void issue_token(TokenRegistry& registry, const Clock& clock, TokenRequest request,
                 Callback<IssuedToken> done);

}  // namespace opsdb::auth
