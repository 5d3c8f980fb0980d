#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "opsdb/config/config.hpp"
#include "opsdb/http/router.hpp"

namespace opsdb {

/// The OpenAPI 3.1.0 document of a route table: one operation per route, with its path and
/// query parameters, request body, success and error responses and security, all read from the
/// route's contract (DESIGN §9). A pure function of its arguments: rendering the same table
/// twice gives the same document.
nlohmann::json openapi_document(const std::vector<http::Route>& routes, SiteType site,
                                std::string_view version);

/// The path of a route pattern in the document: the pattern without a trailing slash, which
/// the router ignores ("/raw_data_files/" -> "/raw_data_files").
std::string openapi_path(const std::string& pattern);

/// The stable operationId of a route: method and pattern in snake_case
/// ("PUT /executed_obs_units/{id}/finish" -> "put_executed_obs_units_id_finish").
std::string openapi_operation_id(const std::string& method, const std::string& pattern);

}  // namespace opsdb
