#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "opsdb/core/error.hpp"

namespace opsdb {

/// What a route requires and what a caller holds (DESIGN §9). `open` is no requirement at all;
/// no caller holds it.
enum class Role { open, viewer, observer, service, admin };

/// Lower-case name of a role, as stored in the `role` table and shown in documents.
const char* role_name(Role role);

/// The role of a lower-case name; nothing for an unknown name and for "open".
std::optional<Role> parse_role(std::string_view name);

/// True when holding `held` is enough for a route that requires `required`: admin may do
/// everything, observer and service write and read, viewer reads.
bool role_grants(Role held, Role required);

/// Who sent a request, as authentication established it.
struct Caller {
  std::string user{};
  std::vector<Role> roles{};
  /// How the caller proved it, for documents and logs, never a secret: "api_token" or "jwt".
  std::string method{};
  /// The API token's display prefix; empty for a JWT.
  std::string token_prefix{};

  /// True when one of the caller's roles grants `required`.
  bool may(Role required) const;
};

/// What authentication decided: the caller, or the error to answer (401 for missing or bad
/// credentials, 503 when they cannot be checked right now).
using Admission = std::variant<Caller, ApiError>;

/// Establishes who sends a request from its `Authorization` header. The router asks it before
/// every route that requires a role, and checks the role itself.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  /// The admission when memory suffices (nearly always); nothing when the credentials must be
  /// looked up first. `authorization` is the header's value, empty when there is none.
  virtual std::optional<Admission> check(std::string_view authorization,
                                         std::string_view remote_address) = 0;
  /// Looks the credentials up, then calls `done` exactly once, from any thread.
  virtual void look_up(std::string authorization, std::string remote_address,
                       std::function<void(Admission)> done) = 0;
};

}  // namespace opsdb
