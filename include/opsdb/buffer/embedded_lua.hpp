#pragma once

#include <string>
#include <string_view>

namespace opsdb {

/// The text of the buffer's Lua script `name` (src/buffer/lua/<name>.lua), compiled into the
/// binary. Throws std::out_of_range for a name that has no file: a mistake found at start-up.
const std::string& embedded_lua(std::string_view name);

}  // namespace opsdb
