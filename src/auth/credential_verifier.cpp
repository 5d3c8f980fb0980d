#include "opsdb/auth/credential_verifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "opsdb/auth/api_token.hpp"
#include "opsdb/auth/jwt.hpp"
#include "opsdb/core/timestamp.hpp"

namespace opsdb::auth {

// What an Authorization value presents: an API token (its prefix and hash), a JWT's verified
// subject, or the reason it presents nothing usable.
struct CredentialVerifier::Presented {
  enum class Kind { refused, api_token, jwt } kind = Kind::refused;
  std::string key{};            // the cache key
  std::string prefix{};         // API token
  std::string hash{};           // API token
  std::string subject{};        // JWT
  std::string reason{};         // refused
  const char* auth_error = "";  // refused: RFC 6750 error code, empty when nothing was sent
};

namespace {

constexpr std::string_view kScheme = "bearer";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool starts_with_scheme(std::string_view value) {
  if (value.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return false;
  }
  return value[kScheme.size()] == ' ';
}

// A token carries its scopes as far as its user still holds a role that grants them: taking a
// role from a user takes it from the user's tokens too.
std::vector<Role> effective_roles(const TokenRecord& token) {
  if (token.scopes.empty()) return token.user_roles;
  std::vector<Role> roles;
  for (Role scope : token.scopes) {
    if (std::any_of(token.user_roles.begin(), token.user_roles.end(),
                    [scope](Role held) { return role_grants(held, scope); })) {
      roles.push_back(scope);
    }
  }
  return roles;
}

}  // namespace

CredentialVerifier::CredentialVerifier(CredentialStore& store, const Clock& clock,
                                       VerifierOptions options)
    : store_(store), clock_(clock), options_(std::move(options)), failures_(clock) {
  options_.negative_ttl = std::min(options_.negative_ttl, options_.cache_ttl);
}

CredentialVerifier::Presented CredentialVerifier::present(std::string_view authorization) const {
  Presented p;
  const auto value = trim(authorization);
  if (value.empty()) {
    p.reason = "no credentials: send 'Authorization: Bearer <token>'";
    return p;
  }
  if (!starts_with_scheme(value)) {
    p.reason = "the Authorization header must be 'Bearer <token>'";
    p.auth_error = "invalid_request";
    return p;
  }
  const auto credential = trim(value.substr(kScheme.size()));
  if (is_api_token(credential)) {
    p.kind = Presented::Kind::api_token;
    p.prefix = token_prefix(credential);
    p.hash = token_hash(credential);
    p.key = "t:" + p.prefix;
    return p;
  }
  p.auth_error = "invalid_token";
  if (!looks_like_jwt(credential)) {
    p.reason = "the bearer credential is neither an API token nor a JWT";
    return p;
  }
  if (options_.jwt_secret.empty()) {
    p.reason = "JWTs are not accepted by this server (no SECRET_KEY); use an API token";
    return p;
  }
  auto verified = verify_hs256(credential, options_.jwt_secret, clock_.now(), options_.jwt_leeway);
  if (const auto* rejection = std::get_if<JwtRejection>(&verified)) {
    p.reason = "JWT refused: " + rejection->reason;
    return p;
  }
  p.kind = Presented::Kind::jwt;
  p.subject = std::get<JwtClaims>(verified).subject;
  p.key = "u:" + p.subject;
  return p;
}

bool CredentialVerifier::fresh(const Entry& entry, Clock::time_point now) const {
  return now - entry.fetched_at < (entry.found ? options_.cache_ttl : options_.negative_ttl);
}

std::optional<Admission> CredentialVerifier::check(std::string_view authorization,
                                                   std::string_view remote_address) {
  const auto presented = present(authorization);
  if (presented.kind == Presented::Kind::refused) {
    return refuse(remote_address, presented.reason, presented.auth_error);
  }
  const auto now = clock_.now();
  std::unique_lock lock(mutex_);
  auto it = cache_.find(presented.key);
  if (it == cache_.end() || !fresh(it->second, now)) return std::nullopt;
  it->second.used_at = now;
  const Entry entry = it->second;
  lock.unlock();
  return admit(presented, entry, remote_address);
}

void CredentialVerifier::look_up(std::string authorization, std::string remote_address,
                                 std::function<void(Admission)> done) {
  auto presented = std::make_shared<const Presented>(present(authorization));
  if (presented->kind == Presented::Kind::refused) {
    return done(refuse(remote_address, presented->reason, presented->auth_error));
  }
  // The store's answer for this one key, or the cached entry (however old) when it fails.
  auto finish = [this, presented, remote = std::move(remote_address), done = std::move(done)](
                    std::optional<Entry> entry, const Error* error) {
    if (!entry) {
      std::unique_lock lock(mutex_);
      auto it = cache_.find(presented->key);
      if (it != cache_.end()) entry = it->second;
    }
    if (!entry) {
      spdlog::warn("credentials cannot be checked: the local database failed: {}",
                   error != nullptr ? error->message : "no answer");
      return done(ApiError(ErrorKind::unavailable,
                           "credentials cannot be checked right now: the local database is "
                           "unreachable; retry shortly"));
    }
    if (error != nullptr) {
      // Until the store answers again, the old answer serves from memory for a while, so that
      // requests do not each wait for a store that hangs.
      spdlog::debug("credentials checked from a stale cache entry: {}", error->message);
      entry->fetched_at = clock_.now() -
                          (entry->found ? options_.cache_ttl : options_.negative_ttl) +
                          options_.negative_ttl;
    }
    store_entry(presented->key, *entry);
    done(admit(*presented, *entry, remote));
  };
  const auto now = clock_.now();
  if (presented->kind == Presented::Kind::api_token) {
    store_.find_tokens({presented->prefix}, [now, finish = std::move(finish)](
                                                Result<std::vector<TokenRecord>> r) mutable {
      if (!r.ok()) return finish(std::nullopt, &r.error());
      Entry entry{.found = !r->empty(), .tokens = std::move(*r), .fetched_at = now, .used_at = now};
      finish(std::move(entry), nullptr);
    });
    return;
  }
  store_.find_users({presented->subject},
                    [now, finish = std::move(finish)](Result<std::vector<UserRecord>> r) mutable {
                      if (!r.ok()) return finish(std::nullopt, &r.error());
                      Entry entry{.found = !r->empty(), .fetched_at = now, .used_at = now};
                      if (entry.found) entry.user = std::move(r->front());
                      finish(std::move(entry), nullptr);
                    });
}

Admission CredentialVerifier::admit(const Presented& presented, const Entry& entry,
                                    std::string_view remote) {
  const auto now = clock_.now();
  if (presented.kind == Presented::Kind::jwt) {
    if (!entry.found) return refuse(remote, "the JWT's subject is not a user", "invalid_token");
    if (!entry.user.active) return refuse(remote, "the JWT's user is deactivated", "invalid_token");
    return Caller{.user = entry.user.username, .roles = entry.user.roles, .method = "jwt"};
  }
  // The prefix found the rows; the hash decides, compared without an early exit.
  const TokenRecord* token = nullptr;
  for (const auto& candidate : entry.tokens) {
    if (constant_time_equal(candidate.token_hash, presented.hash)) token = &candidate;
  }
  if (token == nullptr) return refuse(remote, "unknown API token", "invalid_token");
  const std::string label = "API token " + token->prefix;
  if (!token->active) return refuse(remote, label + " has been revoked", "invalid_token");
  if (token->expires_at && now >= *token->expires_at) {
    return refuse(remote, label + " expired at " + format_timestamp(*token->expires_at),
                  "invalid_token");
  }
  if (!token->user_active) {
    return refuse(remote, label + " belongs to a deactivated user", "invalid_token");
  }
  {
    std::lock_guard lock(mutex_);
    if (used_.size() < options_.max_entries) used_.insert(token->prefix);
  }
  return Caller{.user = token->user,
                .roles = effective_roles(*token),
                .method = "api_token",
                .token_prefix = token->prefix};
}

Admission CredentialVerifier::refuse(std::string_view remote, std::string reason,
                                     const char* auth_error) {
  failures_.note(remote, reason);
  nlohmann::json details = nullptr;
  if (*auth_error != '\0') details = {{"auth_error", auth_error}};
  return ApiError(ErrorKind::unauthorized, std::move(reason), std::move(details));
}

void CredentialVerifier::store_entry(const std::string& key, Entry entry) {
  std::lock_guard lock(mutex_);
  if (cache_.size() >= options_.max_entries && cache_.find(key) == cache_.end()) {
    // Full, most likely of unknown tokens someone is trying: drop those and anything stale,
    // and start over if that is not enough. Known credentials are read again on next use.
    const auto now = clock_.now();
    std::erase_if(cache_, [&](const auto& e) { return !e.second.found || !fresh(e.second, now); });
    if (cache_.size() >= options_.max_entries) cache_.clear();
  }
  cache_[key] = std::move(entry);
}

void CredentialVerifier::refresh(std::function<void()> done) {
  std::vector<std::string> prefixes;
  std::vector<std::string> names;
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (refreshing_) {
      if (done) done();
      return;
    }
    std::erase_if(cache_, [&](const auto& e) {
      return !e.second.found || now - e.second.used_at >= options_.idle_drop;
    });
    for (const auto& [key, entry] : cache_) {
      (key[0] == 't' ? prefixes : names).push_back(key.substr(2));
    }
    if (prefixes.empty() && names.empty()) {
      if (done) done();
      return;
    }
    refreshing_ = true;
  }
  // Both halves report to one counter; the last one to finish ends the refresh.
  auto remaining = std::make_shared<std::atomic<int>>(2);
  auto finish = [this, remaining, done = std::move(done)] {
    if (remaining->fetch_sub(1) != 1) return;
    {
      std::lock_guard lock(mutex_);
      refreshing_ = false;
    }
    if (done) done();
  };
  auto read_tokens = [this, prefixes, now, finish](Result<std::vector<TokenRecord>> r) {
    if (r.ok()) {
      replace_tokens(prefixes, *r, now);
    } else {
      spdlog::warn("cached API tokens not refreshed: {}", r.error().message);
    }
    finish();
  };
  auto read_users = [this, names, now, finish](Result<std::vector<UserRecord>> r) {
    if (r.ok()) {
      replace_users(names, *r, now);
    } else {
      spdlog::warn("cached users not refreshed: {}", r.error().message);
    }
    finish();
  };
  if (prefixes.empty()) {
    finish();
  } else {
    store_.find_tokens(prefixes, std::move(read_tokens));
  }
  if (names.empty()) {
    finish();
  } else {
    store_.find_users(names, std::move(read_users));
  }
}

void CredentialVerifier::replace_tokens(const std::vector<std::string>& prefixes,
                                        const std::vector<TokenRecord>& records,
                                        Clock::time_point fetched_at) {
  std::lock_guard lock(mutex_);
  for (const auto& prefix : prefixes) {
    auto it = cache_.find("t:" + prefix);
    if (it == cache_.end()) continue;
    auto& entry = it->second;
    entry.tokens.clear();
    for (const auto& record : records) {
      if (record.prefix == prefix) entry.tokens.push_back(record);
    }
    entry.found = !entry.tokens.empty();
    entry.fetched_at = fetched_at;
  }
}

void CredentialVerifier::replace_users(const std::vector<std::string>& names,
                                       const std::vector<UserRecord>& records,
                                       Clock::time_point fetched_at) {
  std::lock_guard lock(mutex_);
  for (const auto& name : names) {
    auto it = cache_.find("u:" + name);
    if (it == cache_.end()) continue;
    auto& entry = it->second;
    const auto record = std::find_if(records.begin(), records.end(),
                                     [&](const UserRecord& u) { return u.username == name; });
    entry.found = record != records.end();
    entry.user = entry.found ? *record : UserRecord{};
    entry.fetched_at = fetched_at;
  }
}

std::vector<std::string> CredentialVerifier::take_used() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> used(used_.begin(), used_.end());
  used_.clear();
  return used;
}

}  // namespace opsdb::auth
