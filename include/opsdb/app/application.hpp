#pragma once

#include "opsdb/config/config.hpp"

namespace opsdb {

/// Runs the server: wires databases, write path, routes and the HTTP server onto one
/// io_context, and returns when SIGINT/SIGTERM has stopped it gracefully. Returns the exit code.
int serve(const Config& config);

}  // namespace opsdb
