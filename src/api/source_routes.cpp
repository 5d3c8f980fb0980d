#include "opsdb/query/cone_search.hpp"
#include "responses.hpp"
#include "route_groups.hpp"

namespace opsdb {
namespace {

using namespace route_names;

long long source_id(const PathParams& p) {
  const auto& text = p.at("id");
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoll(text) < 1) {
    throw ApiError(ErrorKind::bad_request,
                   "'" + text + "' is not a source id (a positive integer)");
  }
  return std::stoll(text);
}

void answer_error(const ApiServices& s, const Respond& respond, const Error& error) {
  if (error.code == "cone_too_wide") {
    return respond(http::error_response(ApiError(ErrorKind::bad_request, error.message)));
  }
  respond_error(respond, error, s.read_dependency());
}

Callback<std::optional<Json>> answer_source(const ApiServices& s, Respond respond,
                                            std::string not_found) {
  return [&s, respond = std::move(respond),
          not_found = std::move(not_found)](Result<std::optional<Json>> r) {
    if (!r.ok()) return answer_error(s, respond, r.error());
    if (!*r) return respond(http::error_response(ApiError(ErrorKind::not_found, not_found)));
    respond(json_response(200, **r));
  };
}

void list_sources(const ApiServices& s, const Request& r, Respond respond) {
  const auto filter = parse_source_filter(r.query);
  s.sources->sources(filter, [&s, filter, respond](Result<std::vector<Json>> rows) {
    if (!rows.ok()) return answer_error(s, respond, rows.error());
    auto& items = *rows;
    Json next = nullptr;
    if (static_cast<int>(items.size()) > filter.limit) {
      items.resize(filter.limit);
      const auto& last = items.back();
      const auto key = filter.cone ? distance_key(last.value("distance_deg", 0.0))
                                   : last.value("name", std::string());
      next = make_source_cursor(key, last.value("id", 0LL));
    }
    const auto count = items.size();
    respond(
        json_response(200, {{"items", std::move(items)}, {"count", count}, {"next_cursor", next}}));
  });
}

void resolve_source(const ApiServices& s, const Request& r, Respond respond) {
  const auto body = s.builder.parse(r.body);
  if (!body.is_object() || body.size() != 1 || !body.contains("name") ||
      !body["name"].is_string() || body["name"].get<std::string>().empty()) {
    throw ApiError(ErrorKind::bad_request, "the body must be {\"name\": \"<source name>\"}");
  }
  const auto name = body["name"].get<std::string>();
  s.sources->resolve(name,
                     answer_source(s, std::move(respond), "no source is named '" + name + "'"));
}

}  // namespace

void add_source_routes(http::Router& router, const ApiServices& s) {
  if (s.sources == nullptr) return;
  router.add(
      {.method = "GET",
       .pattern = "/sources",
       .role = Role::viewer,
       .handler = [&s](const RequestContext&, const Request& r, const PathParams&,
                       Respond respond) { list_sources(s, r, std::move(respond)); },
       .summary = "Sources by name, type, or within a cone (ra, dec, radius in degrees; "
                  "nearest first)",
       .response_shape = "source_page",
       .query_params = {
           {"name", "string", "Only sources whose name contains this (1 to 200 bytes)"},
           {"type", "string", "fixed_source, solar_system_object or constant_elevation_source"},
           {"ra", "number", "Cone centre: right ascension in degrees, [0, 360)"},
           {"dec", "number", "Cone centre: declination in degrees, [-90, 90]"},
           {"radius", "number", "Cone radius in degrees, (0, 180]; with ra and dec"},
           {"limit", "integer", "Page size, 1 to 1000 (default 100)"},
           {"cursor", "string", "The next_cursor of the previous page"}}});
  router.add(
      {.method = "GET",
       .pattern = "/sources/{id}",
       .role = Role::viewer,
       .handler =
           [&s](const RequestContext&, const Request&, const PathParams& p, Respond respond) {
             const auto id = source_id(p);
             s.sources->source(id, false,
                               answer_source(s, std::move(respond),
                                             "source " + std::to_string(id) + " does not exist"));
           },
       .summary = "One source",
       .response_shape = "source"});
  router.add(
      {.method = "GET",
       .pattern = "/sources/{id}/details",
       .role = Role::viewer,
       .handler =
           [&s](const RequestContext&, const Request&, const PathParams& p, Respond respond) {
             const auto id = source_id(p);
             s.sources->source(id, true,
                               answer_source(s, std::move(respond),
                                             "source " + std::to_string(id) + " does not exist"));
           },
       .summary = "One source with the obs units that observe it",
       .response_shape = "source_details"});
  router.add({.method = "POST",
              .pattern = "/sources/resolve",
              .role = Role::viewer,
              .handler = [&s](const RequestContext&, const Request& r, const PathParams&,
                              Respond respond) { resolve_source(s, r, std::move(respond)); },
              .summary = "The source with this name (case-insensitive), from the local catalogue",
              .body_fields = {{"name", "string", true}},
              .response_shape = "source"});
}

}  // namespace opsdb
