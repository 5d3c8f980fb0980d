#pragma once

// Credentials in memory for tests and fuzz targets: a CredentialStore that answers at once, and
// helpers that issue tokens into it the way the registry would store them. Header-only and free
// of GoogleTest.

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/auth/api_token.hpp"
#include "opsdb/auth/credential_store.hpp"
#include "opsdb/auth/token_registry.hpp"

namespace opsdb::test {

class InMemoryCredentials final : public auth::CredentialStore {
 public:
  /// Adds an active token of `user` (created, active, with `roles`) and returns the token.
  std::string add_token(const std::string& user, std::vector<Role> roles,
                        std::vector<Role> scopes = {}) {
    const auto token = auth::generate_api_token();
    std::lock_guard lock(mutex_);
    add_user_locked(user, roles);
    tokens_.push_back({.prefix = auth::token_prefix(token),
                       .token_hash = auth::token_hash(token),
                       .name = "test",
                       .user = user,
                       .user_active = true,
                       .user_roles = std::move(roles),
                       .scopes = std::move(scopes),
                       .active = true});
    return token;
  }

  void add_user(const std::string& user, std::vector<Role> roles) {
    std::lock_guard lock(mutex_);
    add_user_locked(user, std::move(roles));
  }

  /// Changes the stored row of the token; the verifier sees it once it reads again.
  template <typename Change>
  void change_token(const std::string& token, Change change) {
    std::lock_guard lock(mutex_);
    for (auto& t : tokens_) {
      if (t.token_hash == auth::token_hash(token)) change(t);
    }
  }

  template <typename Change>
  void change_user(const std::string& user, Change change) {
    std::lock_guard lock(mutex_);
    for (auto& u : users_) {
      if (u.username == user) change(u);
    }
    for (auto& t : tokens_) {
      if (t.user != user) continue;
      UserRecord& u = *std::find_if(users_.begin(), users_.end(),
                                    [&](const auto& r) { return r.username == user; });
      t.user_active = u.active;
      t.user_roles = u.roles;
    }
  }

  /// While true, every call fails as an unreachable database does.
  std::atomic<bool> unreachable{false};
  std::atomic<int> calls{0};

  /// The rows as the registry would store them (create, revoke), without the hashes.
  void store(const auth::TokenRow& row) {
    std::lock_guard lock(mutex_);
    auto user = std::find_if(users_.begin(), users_.end(),
                             [&](const auto& u) { return u.username == row.user; });
    tokens_.push_back({.prefix = row.prefix,
                       .token_hash = row.token_hash,
                       .name = row.name,
                       .user = row.user,
                       .user_active = user != users_.end() && user->active,
                       .user_roles = user != users_.end() ? user->roles : std::vector<Role>{},
                       .scopes = {row.role},
                       .expires_at = row.expires_at,
                       .active = true});
  }
  std::vector<auth::TokenInfo> token_infos(const std::optional<std::string>& user) {
    std::lock_guard lock(mutex_);
    std::vector<auth::TokenInfo> infos;
    for (const auto& t : tokens_) {
      if (user && t.user != *user) continue;
      infos.push_back({.prefix = t.prefix,
                       .name = t.name,
                       .user = t.user,
                       .scopes = t.scopes,
                       .expires_at = t.expires_at,
                       .active = t.active});
    }
    return infos;
  }
  std::optional<auth::TokenInfo> deactivate(const std::string& prefix,
                                            const std::optional<std::string>& user) {
    std::lock_guard lock(mutex_);
    for (auto& t : tokens_) {
      if (t.prefix != prefix || (user && t.user != *user)) continue;
      t.active = false;
      return auth::TokenInfo{
          .prefix = t.prefix, .name = t.name, .user = t.user, .scopes = t.scopes, .active = false};
    }
    return std::nullopt;
  }

  void find_tokens(std::vector<std::string> prefixes,
                   Callback<std::vector<auth::TokenRecord>> done) override {
    ++calls;
    if (unreachable) return done(Error{Fault::unavailable, "local database unreachable", ""});
    std::vector<auth::TokenRecord> found;
    {
      std::lock_guard lock(mutex_);
      for (const auto& t : tokens_) {
        if (std::find(prefixes.begin(), prefixes.end(), t.prefix) != prefixes.end()) {
          found.push_back(t);
        }
      }
    }
    done(std::move(found));
  }

  void find_users(std::vector<std::string> usernames,
                  Callback<std::vector<auth::UserRecord>> done) override {
    ++calls;
    if (unreachable) return done(Error{Fault::unavailable, "local database unreachable", ""});
    std::vector<auth::UserRecord> found;
    {
      std::lock_guard lock(mutex_);
      for (const auto& u : users_) {
        if (std::find(usernames.begin(), usernames.end(), u.username) != usernames.end()) {
          found.push_back(u);
        }
      }
    }
    done(std::move(found));
  }

 private:
  using UserRecord = auth::UserRecord;

  void add_user_locked(const std::string& user, std::vector<Role> roles) {
    auto it = std::find_if(users_.begin(), users_.end(),
                           [&](const auto& u) { return u.username == user; });
    if (it == users_.end()) {
      users_.push_back({user, true, std::move(roles)});
    } else {
      it->roles = std::move(roles);
    }
  }

  std::mutex mutex_;
  std::vector<auth::TokenRecord> tokens_;
  std::vector<UserRecord> users_;
};

/// A TokenRegistry whose "main database" is an InMemoryCredentials: what it stores, the
/// verifier reads (replication that takes no time).
class InMemoryTokenRegistry final : public auth::TokenRegistry {
 public:
  explicit InMemoryTokenRegistry(InMemoryCredentials& credentials) : credentials_(credentials) {}

  /// While true, every call fails as an unreachable main database does.
  std::atomic<bool> unreachable{false};

  void create(auth::TokenRow row, Callback<auth::TokenInfo> done) override {
    if (unreachable) return done(Error{Fault::unavailable, "main database unreachable", ""});
    credentials_.store(row);
    done(auth::TokenInfo{.prefix = row.prefix,
                         .name = row.name,
                         .user = row.user,
                         .scopes = {row.role},
                         .expires_at = row.expires_at,
                         .active = true});
  }
  void list(std::optional<std::string> user, Callback<std::vector<auth::TokenInfo>> done) override {
    if (unreachable) return done(Error{Fault::unavailable, "main database unreachable", ""});
    done(credentials_.token_infos(user));
  }
  void revoke(std::string prefix, std::optional<std::string> user,
              Callback<auth::TokenInfo> done) override {
    if (unreachable) return done(Error{Fault::unavailable, "main database unreachable", ""});
    auto revoked = credentials_.deactivate(prefix, user);
    if (!revoked) return done(Error{Fault::not_found, "no token with prefix " + prefix, ""});
    done(std::move(*revoked));
  }
  void record_use(std::vector<std::string>, Callback<void> done) override { done(Status{}); }

 private:
  InMemoryCredentials& credentials_;
};

}  // namespace opsdb::test
