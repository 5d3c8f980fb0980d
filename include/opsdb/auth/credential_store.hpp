#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/caller.hpp"
#include "opsdb/core/result.hpp"

namespace opsdb::auth {

/// An API token's row with what verification needs of its owner.
struct TokenRecord {
  std::string prefix{};
  std::string token_hash{};  // sha256 hex
  std::string name{};
  std::string user{};
  bool user_active = false;
  std::vector<Role> user_roles{};
  /// The roles the token was issued for; empty means all of its owner's roles.
  std::vector<Role> scopes{};
  std::optional<std::chrono::system_clock::time_point> expires_at{};
  bool active = false;
};

/// A user as a JWT's subject needs it.
struct UserRecord {
  std::string username{};
  bool active = false;
  std::vector<Role> roles{};
};

/// Where credentials are verified from: the local database (the replica at a secondary site),
/// so that verification keeps working while the main database is out of reach.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  /// Every token whose display prefix is one of `prefixes`, in any state.
  virtual void find_tokens(std::vector<std::string> prefixes,
                           Callback<std::vector<TokenRecord>> done) = 0;
  /// Every user named in `usernames`, in any state.
  virtual void find_users(std::vector<std::string> usernames,
                          Callback<std::vector<UserRecord>> done) = 0;
};

}  // namespace opsdb::auth
