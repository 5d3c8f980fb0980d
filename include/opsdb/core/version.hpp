#pragma once

#include <string_view>

namespace opsdb {

/// The server's version ("0.1.0"): the project's version in CMakeLists.txt, set at build time.
std::string_view version();

}  // namespace opsdb
