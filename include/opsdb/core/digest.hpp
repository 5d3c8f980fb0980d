#pragma once

#include <string>
#include <string_view>

namespace opsdb {

/// The SHA-256 of `data` in lower-case hex (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace opsdb
