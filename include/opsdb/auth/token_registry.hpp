#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/caller.hpp"
#include "opsdb/core/result.hpp"

namespace opsdb::auth {

/// What may be shown of a token: never the token, never its hash.
struct TokenInfo {
  std::string prefix{};
  std::string name{};
  std::string user{};
  std::vector<Role> scopes{};
  std::chrono::system_clock::time_point created_at{};
  std::optional<std::chrono::system_clock::time_point> expires_at{};
  std::optional<std::chrono::system_clock::time_point> last_used_at{};
  bool active = false;
};

/// A token row to store: the hash and the prefix, never the token.
struct TokenRow {
  std::string user{};
  Role role = Role::viewer;
  std::string name{};
  std::string token_hash{};
  std::string prefix{};
  std::optional<std::chrono::system_clock::time_point> expires_at{};
  /// Creates the user, and grants it the role, when missing (the administrator's command line);
  /// otherwise the user must exist and be active.
  bool provision_user = false;
};

/// The tokens' home: the main database, where tokens are created, listed and revoked.
class TokenRegistry {
 public:
  virtual ~TokenRegistry() = default;
  /// Stores a new token; Fault::not_found when the user does not exist (or is inactive) and
  /// `provision_user` is off.
  virtual void create(TokenRow row, Callback<TokenInfo> done) = 0;
  /// The tokens of `user`, or of everyone when empty; newest first.
  virtual void list(std::optional<std::string> user, Callback<std::vector<TokenInfo>> done) = 0;
  /// Deactivates the token with `prefix` (only among `user`'s when set). Fault::not_found when
  /// there is none, Fault::conflict when the prefix names more than one.
  virtual void revoke(std::string prefix, std::optional<std::string> user,
                      Callback<TokenInfo> done) = 0;
  /// Sets `last_used_at` of the tokens with these prefixes to now.
  virtual void record_use(std::vector<std::string> prefixes, Callback<void> done) = 0;
};

}  // namespace opsdb::auth
