#include "opsdb/core/uuid.hpp"
#include "opsdb/query/observation_page.hpp"
#include "responses.hpp"
#include "route_groups.hpp"
#include "write_route.hpp"

namespace opsdb {
namespace {

using namespace route_names;

// The query string parse_observation_filter reads; the {id} form takes all but obs_unit_id.
std::vector<http::QueryParam> observation_filter_params(bool with_obs_unit) {
  std::vector<http::QueryParam> params;
  if (with_obs_unit)
    params.push_back({"obs_unit_id", "integer", "Only observations of this obs_unit"});
  params.insert(params.end(),
                {{"status", "string", "Only observations with this status"},
                 {"since", "timestamp", "Only observations that started at or after this time"},
                 {"until", "timestamp", "Only observations that started before this time"},
                 {"limit", "integer", "Page size, 1 to 1000 (default 100)"},
                 {"cursor", "string", "The next_cursor of the previous page"}});
  return params;
}

void read_page(const ApiServices& s, const ObservationFilter& filter, Respond respond) {
  s.reads.observations(filter, [respond = std::move(respond),
                                dependency = s.read_dependency()](Result<Read<ObservationPage>> r) {
    if (!r.ok()) return respond_error(respond, r.error(), dependency);
    auto& page = r->value;
    const auto count = page.items.size();
    nlohmann::json next = page.next_cursor ? nlohmann::json(*page.next_cursor) : nullptr;
    respond(read_response(
        {{"items", std::move(page.items)}, {"count", count}, {"next_cursor", std::move(next)}},
        r->buffer_unavailable));
  });
}

// One segment serves two contracts: a UUID is one observation; an integer is the older
// "observations of this obs_unit" form.
void read_observation_or_page(const ApiServices& s, const Request& r, const PathParams& p,
                              Respond respond) {
  const auto& id = p.at("id");
  if (is_uuid(id)) {
    s.reads.observation(normalize_uuid(id),
                        answer_record(std::move(respond), s.read_dependency(),
                                      "executed_obs_unit " + id + " does not exist"));
    return;
  }
  if (id.empty() || id.size() > 9 || id.find_first_not_of("0123456789") != std::string::npos) {
    throw ApiError(ErrorKind::bad_request, "'" + id + "' is neither a UUID nor an obs_unit id");
  }
  auto query = r.query;
  if (query.count("obs_unit_id")) {
    throw ApiError(ErrorKind::bad_request, "obs_unit_id is given by the path in this form");
  }
  query["obs_unit_id"] = id;
  read_page(s, parse_observation_filter(query), std::move(respond));
}

}  // namespace

void add_observation_routes(http::Router& router, const ApiServices& s) {
  router.add(
      write_route(s,
                  {.method = "POST",
                   .pattern = "/executed_obs_units/start",
                   .role = Role::observer,
                   .success_status = 201,
                   .summary = "Start an observation (with its instrument module configurations)",
                   .body_fields = {{"obs_unit_id", "integer", true},
                                   {"start_time", "timestamp", false},
                                   {"status", "string", false},
                                   {"conditions", "object", false},
                                   {"instrument_module_configurations", "array", false}},
                   .response_shape = "write_receipt"},
                  [](auto& b, auto& r, auto&) { return b.start_observation(b.parse(r.body)); }));
  router.add(write_route(
      s,
      {.method = "PUT",
       .pattern = "/executed_obs_units/{id}/finish",
       .role = Role::observer,
       .success_status = 200,
       .summary = "Finish an observation",
       .body_fields = {{"status", "string", true},
                       {"end_time", "timestamp", false},
                       {"reason", "string", false}},
       .response_shape = "write_receipt"},
      [](auto& b, auto& r, auto& p) { return b.finish_observation(p.at("id"), b.parse(r.body)); }));
  router.add(write_route(
      s,
      {.method = "PUT",
       .pattern = "/executed_obs_units/{id}/status",
       .role = Role::observer,
       .success_status = 200,
       .summary = "Change the status of an observation (recorded in its history)",
       .body_fields = {{"status", "string", true}, {"reason", "string", false}},
       .response_shape = "write_receipt"},
      [](auto& b, auto& r, auto& p) { return b.change_status(p.at("id"), b.parse(r.body)); }));
  router.add(write_route(s,
                         {.method = "POST",
                          .pattern = "/executed_obs_units/{id}/instrument_configurations",
                          .role = Role::observer,
                          .success_status = 201,
                          .summary = "Record an instrument module configuration of an observation",
                          .body_fields = {{"instrument_module_id", "integer", true},
                                          {"configuration", "object", true},
                                          {"recorded_at", "timestamp", false}},
                          .response_shape = "write_receipt"},
                         [](auto& b, auto& r, auto& p) {
                           return b.add_instrument_configuration(p.at("id"), b.parse(r.body));
                         }));
  router.add(
      {.method = "GET",
       .pattern = "/executed_obs_units",
       .role = Role::viewer,
       .handler =
           [&s](const RequestContext&, const Request& r, const PathParams&, Respond respond) {
             read_page(s, parse_observation_filter(r.query), std::move(respond));
           },
       .success_status = 200,
       .summary = "List observations, newest first (keyset pagination)",
       .response_shape = "executed_obs_unit_page",
       .query_params = observation_filter_params(true)});
  router.add(
      {.method = "GET",
       .pattern = "/executed_obs_units/{id}",
       .role = Role::viewer,
       .handler = [&s](const RequestContext&, const Request& r, const PathParams& p,
                       Respond respond) { read_observation_or_page(s, r, p, std::move(respond)); },
       .success_status = 200,
       .summary = "One observation by UUID, or the observations of an obs_unit by integer id",
       .response_shape = "executed_obs_unit_or_page",
       .query_params = observation_filter_params(false)});
}

}  // namespace opsdb
