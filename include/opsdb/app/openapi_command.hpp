#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "opsdb/config/config.hpp"
#include "opsdb/http/router.hpp"

namespace opsdb {

/// The route table a server with `config` serves at a site of type `site`, as contracts only
/// (no handlers): built by the same make_router as the server's, over ports that are never
/// called. Needs no database, Redis or network.
std::vector<http::Route> route_contracts(const Config& config, SiteType site);

/// The OpenAPI document of that table (`ops-db-api openapi`): the document the server serves
/// at /openapi.json, for checking without a server.
nlohmann::json openapi_for_site(const Config& config, SiteType site);

}  // namespace opsdb
