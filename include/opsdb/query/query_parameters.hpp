#pragma once

#include <string>

#include "opsdb/query/record_merge.hpp"

namespace opsdb {

/// Parsers of query-string values shared by the list endpoints. Each throws
/// ApiError(bad_request) with a message naming the parameter.

/// An integer in [min, max].
int parse_int_parameter(const std::string& name, const std::string& text, int min, int max);

/// An ISO-8601 timestamp with a time zone, returned canonical.
std::string parse_time_parameter(const std::string& name, const std::string& text);

/// A keyset cursor this API issued for a list ordered by (timestamp, uuid).
ListPosition parse_list_cursor(const std::string& text);

/// The cursor of a list position: the canonical timestamp, '_', the id.
std::string list_cursor(const ListPosition& position);

}  // namespace opsdb
