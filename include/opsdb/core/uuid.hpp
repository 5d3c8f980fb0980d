#pragma once

#include <string>
#include <string_view>

namespace opsdb {

/// A random (version 4) UUID in canonical lower-case text form.
std::string new_uuid();

/// True for a UUID in 8-4-4-4-12 hex form (any case).
bool is_uuid(std::string_view text);

/// Lower-cased copy of a valid UUID (callers check `is_uuid` first).
std::string normalize_uuid(std::string_view text);

}  // namespace opsdb
