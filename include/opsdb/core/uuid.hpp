#pragma once

#include <string>
#include <string_view>

namespace opsdb {

/// A random (version 4) UUID in canonical lower-case text form.
std::string new_uuid();

/// The name-based (version 5, SHA-1) UUID of `name` within the namespace `namespace_uuid`
/// (RFC 9562): the same inputs give the same UUID, anywhere, at any time.
std::string name_uuid(std::string_view namespace_uuid, std::string_view name);

/// True for a UUID in 8-4-4-4-12 hex form (any case).
bool is_uuid(std::string_view text);

/// Lower-cased copy of a valid UUID (callers check `is_uuid` first).
std::string normalize_uuid(std::string_view text);

}  // namespace opsdb
