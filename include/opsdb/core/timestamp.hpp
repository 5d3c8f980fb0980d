#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace opsdb {

/// Canonical timestamp text of the API: ISO-8601 UTC with microseconds,
/// "2026-11-25T16:00:00.123456Z". Canonical strings sort chronologically as plain strings.
std::string format_timestamp(std::chrono::system_clock::time_point t);

/// Parses ISO-8601 date-times: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM|+HH)", a space
/// instead of 'T' is accepted (PostgreSQL's text form). Returns nullopt when invalid, and for
/// times before 1900 or from 2200 on (the clock cannot represent all of them).
std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);

/// Microseconds since the Unix epoch of a timestamp (parsed as parse_timestamp does); nullopt
/// when invalid. Exact as a double for any date this project meets, so it can score a Redis
/// sorted set.
std::optional<std::int64_t> epoch_microseconds(std::string_view text);

/// Parses and re-formats canonically; nullopt when invalid.
std::optional<std::string> canonical_timestamp(std::string_view text);

}  // namespace opsdb
