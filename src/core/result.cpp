#include "opsdb/core/result.hpp"

namespace opsdb {

std::string_view to_string(Fault fault) {
  switch (fault) {
    case Fault::unavailable:
      return "unavailable";
    case Fault::outcome_unknown:
      return "outcome_unknown";
    case Fault::rejected:
      return "rejected";
    case Fault::not_found:
      return "not_found";
    case Fault::conflict:
      return "conflict";
    case Fault::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace opsdb
