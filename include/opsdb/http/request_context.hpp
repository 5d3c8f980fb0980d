#pragma once

#include <optional>
#include <string>

#include "opsdb/core/caller.hpp"

namespace opsdb::http {

/// What the server knows about a request besides its content, handed to every handler.
struct RequestContext {
  /// Identifies the request in log lines and in the `X-Request-Id` response header: the
  /// client's own id when it sent a sane one, otherwise one the server made up.
  std::string request_id{};
  /// The peer's address, for logs.
  std::string remote_address{};
  /// Who is calling: set by the router for every route that requires a role, empty for open
  /// routes.
  std::optional<Caller> caller{};
};

}  // namespace opsdb::http
