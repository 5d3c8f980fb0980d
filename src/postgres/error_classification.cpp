#include "opsdb/postgres/error_classification.hpp"

namespace opsdb {

Fault classify_sqlstate(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return Fault::unavailable;  // no server answer
  const auto cls = sqlstate.substr(0, 2);
  for (std::string_view transient : {"08", "40", "53", "55", "57", "58", "XX"}) {
    if (cls == transient) return Fault::unavailable;
  }
  return Fault::rejected;
}

}  // namespace opsdb
