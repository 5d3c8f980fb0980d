#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace opsdb {

/// Parses JSON text the process did not write itself in this call (a document read back from
/// Redis), refusing nesting deeper than `max_depth` while parsing, so no later recursive copy
/// or serialisation of it can exhaust the stack. Nullopt when the text is not valid JSON, is
/// nested too deeply or holds a number no double can hold; never throws.
std::optional<nlohmann::json> parse_json_text(std::string_view text, std::size_t max_depth);

}  // namespace opsdb
