#include "opsdb/core/log_fields.hpp"

#include <spdlog/spdlog.h>

namespace opsdb {
namespace {

// spdlog's loggers here are synchronous: the formatter runs inside the log call, on this thread.
thread_local const nlohmann::json* current_fields = nullptr;

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return spdlog::level::debug;
    case LogLevel::info:
      return spdlog::level::info;
    case LogLevel::warn:
      return spdlog::level::warn;
    case LogLevel::error:
      break;
  }
  return spdlog::level::err;
}

}  // namespace

void log_with_fields(LogLevel level, const nlohmann::json& fields, std::string_view message) {
  current_fields = &fields;
  try {
    spdlog::log(spdlog_level(level), "{}", message);
  } catch (...) {
    current_fields = nullptr;
    throw;
  }
  current_fields = nullptr;
}

const nlohmann::json* current_log_fields() {
  return current_fields;
}

}  // namespace opsdb
