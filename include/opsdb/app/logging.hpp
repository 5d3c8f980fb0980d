#pragma once

#include <spdlog/formatter.h>

#include <memory>

#include "opsdb/config/config.hpp"

namespace opsdb {

/// Configures the default spdlog logger: level from LOG_LEVEL, plain text or one JSON object per
/// line (LOG_FORMAT), UTC timestamps, to stderr.
void setup_logging(const std::string& level, LogFormat format);

/// How lines look in `format`: "<UTC time> <level> [<thread>] <message> key=value..." or one JSON
/// object per line with the message's fields as keys of their own.
std::unique_ptr<spdlog::formatter> log_formatter(LogFormat format);

}  // namespace opsdb
