#include "opsdb/core/version.hpp"

namespace opsdb {

std::string_view version() {
  return OPSDB_VERSION;
}

}  // namespace opsdb
