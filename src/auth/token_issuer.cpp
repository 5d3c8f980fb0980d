#include "opsdb/auth/token_issuer.hpp"

#include <algorithm>
#include <chrono>

#include "opsdb/auth/api_token.hpp"

namespace opsdb::auth {

std::optional<std::string> token_request_problem(const TokenRequest& request) {
  if (request.user.empty() || request.user.size() > 256) {
    return "a token needs a user name of 1 to 256 bytes";
  }
  if (request.role == Role::open)
    return "a token needs a role (admin, observer, service or viewer)";
  if (request.name.empty() || request.name.size() > kMaxTokenNameBytes ||
      !std::all_of(request.name.begin(), request.name.end(),
                   [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; })) {
    return "a token needs a name of 1 to " + std::to_string(kMaxTokenNameBytes) +
           " bytes without control characters";
  }
  if (request.expires_in_days &&
      (*request.expires_in_days < 1 || *request.expires_in_days > kMaxTokenDays)) {
    return "a token needs an expiry of 1 to " + std::to_string(kMaxTokenDays) + " days";
  }
  return std::nullopt;
}

void issue_token(TokenRegistry& registry, const Clock& clock, TokenRequest request,
                 Callback<IssuedToken> done) {
  if (auto problem = token_request_problem(request)) {
    return done(Error{Fault::rejected, *problem, ""});
  }
  auto token = generate_api_token();
  TokenRow row{.user = std::move(request.user),
               .role = request.role,
               .name = std::move(request.name),
               .token_hash = token_hash(token),
               .prefix = token_prefix(token),
               .provision_user = request.provision_user};
  if (request.expires_in_days) {
    row.expires_at = clock.now() + std::chrono::days(*request.expires_in_days);
  }
  registry.create(std::move(row), [token = std::move(token),
                                   done = std::move(done)](Result<TokenInfo> stored) mutable {
    if (!stored.ok()) return done(stored.error());
    done(IssuedToken{std::move(token), std::move(*stored)});
  });
}

}  // namespace opsdb::auth
