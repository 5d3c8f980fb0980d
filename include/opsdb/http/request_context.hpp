#pragma once

#include <string>

namespace opsdb::http {

/// What the server knows about a request besides its content, handed to every handler.
struct RequestContext {
  /// Identifies the request in log lines and in the `X-Request-Id` response header: the
  /// client's own id when it sent a sane one, otherwise one the server made up.
  std::string request_id{};
  /// Who is calling; empty until authentication lands.
  std::string principal{};
};

}  // namespace opsdb::http
