#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace opsdb {

enum class LogLevel { debug, info, warn, error };

/// Logs `message` with machine-readable `fields` (a JSON object of scalars): in JSON log mode
/// they become keys of the line beside "message", in text mode they follow the message as
/// key=value. For events that tools match on, such as alerts.
void log_with_fields(LogLevel level, const nlohmann::json& fields, std::string_view message);

/// The fields of the line being formatted on this thread; null outside log_with_fields. For the
/// log formatter.
const nlohmann::json* current_log_fields();

}  // namespace opsdb
