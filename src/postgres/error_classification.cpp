#include "opsdb/postgres/error_classification.hpp"

namespace opsdb {

DbError::Kind classify_sqlstate(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return DbError::Kind::connectivity;  // no server answer
  const auto cls = sqlstate.substr(0, 2);
  for (std::string_view transient : {"08", "40", "53", "55", "57", "58", "XX"}) {
    if (cls == transient) return DbError::Kind::connectivity;
  }
  return DbError::Kind::data;
}

}  // namespace opsdb
