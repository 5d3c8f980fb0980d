#pragma once

#include "opsdb/api/routes.hpp"
#include "opsdb/http/router.hpp"

namespace opsdb {

// The names every route file uses (this header is private to src/api).
namespace route_names {
using http::BodyField;
using http::PathParams;
using http::Request;
using http::RequestContext;
using http::Respond;
using Json = nlohmann::json;
}  // namespace route_names

/// The routes of one resource each; `make_router` assembles them.
void add_observation_routes(http::Router& router, const ApiServices& services);
void add_raw_data_file_routes(http::Router& router, const ApiServices& services);
void add_raw_data_package_routes(http::Router& router, const ApiServices& services);
/// /health and /metrics at both sites; buffer, transaction and dead-letter routes at a secondary
/// site.
void add_operations_routes(http::Router& router, const ApiServices& services);
/// The source catalogue (when the services have one): list, cone search, one, details, resolve.
void add_source_routes(http::Router& router, const ApiServices& services);
/// Observing programs (when the services have a catalogue): list, one, create, update.
void add_program_routes(http::Router& router, const ApiServices& services);
/// The transfer pipeline for the web UI (when the services have a view of it): overview,
/// package list, reset of a failed transfer.
void add_transfer_routes(http::Router& router, const ApiServices& services);
/// Visibility of sources at the telescope (when the services compute it): one night, the
/// heatmap, precalculation, and the source card /sources/{id}/chip.
void add_visibility_routes(http::Router& router, const ApiServices& services);
/// /auth/me, /api/tokens/scopes, and token management when the services have a registry.
void add_auth_routes(http::Router& router, const ApiServices& services);
/// WS /ws/events when the services have an event hub.
void add_event_routes(http::Router& router, const ApiServices& services);
void add_docs_routes(http::Router& router, const ApiServices& services);  // /docs, /redoc
void add_openapi_routes(http::Router& router, const ApiServices& services);

}  // namespace opsdb
