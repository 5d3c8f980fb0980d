#pragma once

#include "opsdb/config/config.hpp"

namespace opsdb {

/// Configures the default spdlog logger: level from LOG_LEVEL, plain text or one JSON object per
/// line (LOG_FORMAT), UTC timestamps, to stderr.
void setup_logging(const std::string& level, LogFormat format);

}  // namespace opsdb
