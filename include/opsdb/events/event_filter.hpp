#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "opsdb/events/event.hpp"

namespace opsdb {

/// Which events a subscriber of `/ws/events` wants, from its query string: `event` and `table`
/// (comma-separated lists), `record_id` (one record, e.g. an executed observation followed
/// through its start, status changes and finish) and `obs_unit_id` (the transactions whose rows
/// name that observation unit). Empty parts match everything.
struct EventFilter {
  std::set<std::string> kinds;
  std::set<std::string> tables;
  std::string record_id;
  std::optional<std::int64_t> obs_unit_id;

  /// Throws ApiError (bad_request) naming the parameter that is malformed or names an unknown
  /// event kind or table.
  static EventFilter from_query(const std::map<std::string, std::string>& query);
  bool matches(const Event& event) const;
};

}  // namespace opsdb
