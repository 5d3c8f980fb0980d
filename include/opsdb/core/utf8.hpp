#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace opsdb {

/// Offset of the first byte of `text` that is not part of well-formed UTF-8 (RFC 3629: no
/// overlong forms, no surrogates, nothing above U+10FFFF), or nullopt when all of it is.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

inline bool is_valid_utf8(std::string_view text) {
  return !first_invalid_utf8(text).has_value();
}

}  // namespace opsdb
