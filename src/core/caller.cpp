#include "opsdb/core/caller.hpp"

#include <algorithm>
#include <array>

namespace opsdb {
namespace {

constexpr std::array kHeldRoles{Role::viewer, Role::observer, Role::service, Role::admin};

// Observer and service are peers: one records observations, the other automates; neither
// needs what only the other may do, so each grants the routes of both.
int rank(Role role) {
  switch (role) {
    case Role::open:
      return 0;
    case Role::viewer:
      return 1;
    case Role::observer:
    case Role::service:
      return 2;
    case Role::admin:
      return 3;
  }
  return 0;
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::open:
      return "open";
    case Role::viewer:
      return "viewer";
    case Role::observer:
      return "observer";
    case Role::service:
      return "service";
    case Role::admin:
      return "admin";
  }
  return "open";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role role : kHeldRoles) {
    if (name == role_name(role)) return role;
  }
  return std::nullopt;
}

bool role_grants(Role held, Role required) {
  if (required == Role::open) return true;
  if (held == Role::open) return false;
  return rank(held) >= rank(required);
}

bool Caller::may(Role required) const {
  if (required == Role::open) return true;
  return std::any_of(roles.begin(), roles.end(),
                     [required](Role held) { return role_grants(held, required); });
}

}  // namespace opsdb
