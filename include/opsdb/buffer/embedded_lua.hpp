#pragma once

#include <string>
#include <string_view>

namespace opsdb {

/// The text of the buffer's Lua script `name` (src/buffer/lua/<name>.lua), compiled into the
/// binary. Throws std::out_of_range for a name that has no file: a mistake found at start-up.
const std::string& embedded_lua(std::string_view name);

/// A script that changes the state of transactions, with the shared functions it calls in front
/// (cache_groups.lua: deleting a transaction's caches; events.lua: adding its events).
inline std::string with_state_functions(std::string_view name) {
  return embedded_lua("cache_groups") + "\n" + embedded_lua("events") + "\n" + embedded_lua(name);
}

}  // namespace opsdb
