#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "opsdb/auth/credential_store.hpp"
#include "opsdb/auth/failure_log.hpp"
#include "opsdb/core/caller.hpp"
#include "opsdb/core/clock.hpp"

namespace opsdb::auth {

struct VerifierOptions {
  /// A credential read from the store is trusted from memory this long.
  std::chrono::milliseconds cache_ttl{30'000};
  /// "No such token or user" is remembered this long (at most `cache_ttl`).
  std::chrono::milliseconds negative_ttl{5'000};
  /// Cached credentials, known and unknown; at the limit the cache starts over.
  std::size_t max_entries = 10'000;
  /// The HS256 key; empty: JWTs are refused.
  std::string jwt_secret{};
  /// Clock skew tolerated on a JWT's exp, nbf and iat.
  std::chrono::seconds jwt_leeway{30};
  /// A credential not used for this long is dropped at the next refresh.
  std::chrono::milliseconds idle_drop{600'000};
};

/// Tells who sends a request from its `Authorization: Bearer` value: an API token (looked up by
/// its display prefix, compared by hash in constant time) or an HS256 JWT (signature checked in
/// process, its subject looked up as a user). What the store says is cached, known and unknown
/// alike, and re-read in the background, so a request almost never waits for the store, and
/// verification goes on from memory while the store is out of reach.
///
/// Thread-safe: `check` runs on every HTTP thread.
class CredentialVerifier final : public Authenticator {
 public:
  CredentialVerifier(CredentialStore& store, const Clock& clock, VerifierOptions options);

  /// The admission when memory suffices; nothing when the store must be asked (`look_up`).
  std::optional<Admission> check(std::string_view authorization,
                                 std::string_view remote_address) override;
  /// Asks the store, caches its answer and calls `done` once, on the store's thread. When the
  /// store fails, a cached answer however old is used; without one the answer is 503.
  void look_up(std::string authorization, std::string remote_address,
               std::function<void(Admission)> done) override;
  /// Re-reads every cached credential in two store calls and drops those idle for long; calls
  /// `done` when finished. One refresh at a time: a call while one runs only calls `done`.
  void refresh(std::function<void()> done = {});
  /// Prefixes of the API tokens admitted since the last call, for `last_used_at`.
  std::vector<std::string> take_used();

 private:
  struct Presented;
  struct Entry {
    bool found = false;
    std::vector<TokenRecord> tokens{};  // API token entries: the rows with the prefix
    UserRecord user{};                  // JWT entries
    Clock::time_point fetched_at{};
    Clock::time_point used_at{};
  };

  Presented present(std::string_view authorization) const;
  Admission admit(const Presented& presented, const Entry& entry, std::string_view remote);
  Admission refuse(std::string_view remote, std::string reason, const char* auth_error);
  bool fresh(const Entry& entry, Clock::time_point now) const;
  void store_entry(const std::string& key, Entry entry);
  void replace_tokens(const std::vector<std::string>& prefixes,
                      const std::vector<TokenRecord>& records, Clock::time_point fetched_at);
  void replace_users(const std::vector<std::string>& names, const std::vector<UserRecord>& records,
                     Clock::time_point fetched_at);

  CredentialStore& store_;
  const Clock& clock_;
  VerifierOptions options_;
  FailureLog failures_;

  std::mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;  // "t:<prefix>" or "u:<username>"
  std::set<std::string> used_;
  bool refreshing_ = false;
};

}  // namespace opsdb::auth
