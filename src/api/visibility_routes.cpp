#include <cmath>

#include "opsdb/astro/sexagesimal.hpp"
#include "opsdb/astro/visibility_service.hpp"
#include "opsdb/core/timestamp.hpp"
#include "responses.hpp"
#include "route_groups.hpp"

namespace opsdb {
namespace {

using namespace route_names;

constexpr const char* kRefraction = "none (geometric elevation of the source centre)";

double rounded(double degrees) {
  return std::round(degrees * 1000.0) / 1000.0;
}

Json optional_time(const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? Json(format_timestamp(*t)) : Json(nullptr);
}

const char* kind_name(VisibilityKind kind) {
  switch (kind) {
    case VisibilityKind::rises_and_sets:
      return "rises_and_sets";
    case VisibilityKind::always_up:
      return "always_up";
    case VisibilityKind::never_up:
      return "never_up";
  }
  return "never_up";
}

Json site_document(const ObservingSite& site) {
  return {{"latitude_deg", site.lat_deg},
          {"longitude_deg", site.lon_deg},
          {"altitude_m", site.height_m}};
}

long long path_id(const PathParams& p, const char* name) {
  const auto& text = p.at(name);
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoll(text) < 1) {
    throw ApiError(ErrorKind::bad_request,
                   "'" + text.substr(0, 40) + "' is not a source id (a positive integer)");
  }
  return std::stoll(text);
}

void answer_error(const ApiServices& s, const Respond& respond, const Error& error) {
  if (error.code == kVisibilityBusy) {
    return respond(http::error_response(
        ApiError(ErrorKind::unavailable, error.message, {{"reason", "visibility_busy"}})));
  }
  if (error.code == kUnknownSources) {
    return respond(http::error_response(ApiError(ErrorKind::not_found, error.message)));
  }
  if (error.code == kNotFixedSources) {
    return respond(http::error_response(ApiError(ErrorKind::unprocessable, error.message)));
  }
  if (error.is(Fault::internal) && error.code.empty()) {
    return respond(http::error_response(ApiError(ErrorKind::internal, "internal error")));
  }
  respond_error(respond, error, s.read_dependency());
}

Json night_document(const ApiServices& s, const SourceNight& answer) {
  const auto& night = *answer.night;
  Json samples = Json::array();
  for (const auto& sample : night.samples) {
    samples.push_back({{"time", format_timestamp(sample.time)},
                       {"elevation_deg", rounded(sample.elevation_deg)},
                       {"azimuth_deg", rounded(sample.azimuth_deg)}});
  }
  const auto& source = answer.source;
  return {
      {"source",
       {{"id", source.value("id", Json(nullptr))},
        {"name", source.value("name", Json(nullptr))},
        {"ra_deg", source.value("ra_deg", Json(nullptr))},
        {"dec_deg", source.value("dec_deg", Json(nullptr))}}},
      {"site", site_document(s.visibility->site())},
      {"date", format_date(answer.date)},
      {"step_minutes", answer.step_minutes},
      {"night", {{"start", format_timestamp(night.start)}, {"end", format_timestamp(night.end)}}},
      {"kind", kind_name(night.kind)},
      {"rise", optional_time(night.rise)},
      {"set", optional_time(night.set)},
      {"transit", format_timestamp(night.transit)},
      {"max_elevation_deg", rounded(night.max_elevation_deg)},
      {"samples", std::move(samples)},
      {"refraction", kRefraction},
      {"cached", answer.cached}};
}

void source_visibility(const ApiServices& s, const Request& r, const PathParams& p,
                       Respond respond) {
  const auto id = path_id(p, "source_id");
  const auto query = parse_night_query(r.query);
  s.visibility->night(
      id, query.date, query.step_minutes,
      [&s, respond = std::move(respond)](Result<SourceNight> answer) {
        if (!answer.ok()) return answer_error(s, respond, answer.error());
        if (!answer->night) {
          const auto type = answer->source.value("type", std::string("unknown"));
          return respond(http::error_response(ApiError(
              ErrorKind::unprocessable,
              "source " + std::to_string(answer->source.value("id", 0LL)) + " is a " + type +
                  ": visibility is computed for fixed sources only (a solar "
                  "system object needs an ephemeris; a constant elevation "
                  "source stays at its elevation_deg)")));
        }
        respond(json_response(200, night_document(s, *answer)));
      });
}

// The grid as the UI draws it: one row per night, one column per time of night, the same
// columns for every night (minutes since that night's start).
std::string heatmap_text(const ObservingSite& site, const NightGrid& grid) {
  const auto& r = grid.request;
  Json times = Json::array();
  for (int i = 0; i < samples_per_night(r.step_minutes); ++i) times.push_back(i * r.step_minutes);
  Json sources = Json::array();
  for (std::size_t i = 0; i < grid.sources.size(); ++i) {
    Json days = Json::array();
    for (std::size_t d = 0; d < grid.nights[i].size(); ++d) {
      const auto& night = *grid.nights[i][d];
      Json elevations = Json::array();
      for (const auto& sample : night.samples) elevations.push_back(rounded(sample.elevation_deg));
      days.push_back({{"date", format_date(std::chrono::sys_days{r.start} + std::chrono::days(d))},
                      {"night_start", format_timestamp(night.start)},
                      {"max_elevation_deg", rounded(night.max_elevation_deg)},
                      {"elevations", std::move(elevations)}});
    }
    sources.push_back({{"source_id", grid.sources[i].value("id", Json(nullptr))},
                       {"name", grid.sources[i].value("name", Json(nullptr))},
                       {"days", std::move(days)}});
  }
  const Json doc{{"site", site_document(site)},
                 {"start", format_date(r.start)},
                 {"days", r.days},
                 {"step_minutes", r.step_minutes},
                 {"times_of_night", std::move(times)},
                 {"sources", std::move(sources)},
                 {"refraction", kRefraction},
                 {"nights_computed", grid.computed},
                 {"nights_already_cached", grid.already_cached}};
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string precalculated_text(const NightGrid& grid) {
  const auto& r = grid.request;
  return Json{{"source_ids", r.source_ids},
              {"start", format_date(r.start)},
              {"days", r.days},
              {"step_minutes", r.step_minutes},
              {"nights_computed", grid.computed},
              {"nights_already_cached", grid.already_cached}}
      .dump();
}

void answer_nights(const ApiServices& s, NightsRequest request, VisibilityService::Render render,
                   Respond respond) {
  s.visibility->nights(std::move(request), std::move(render),
                       [&s, respond = std::move(respond)](Result<std::string> text) {
                         if (!text.ok()) return answer_error(s, respond, text.error());
                         http::Response response;
                         response.status = 200;
                         response.body = std::move(*text);
                         respond(std::move(response));
                       });
}

// Right ascension and declination as the card shows them; null for a source without a fixed
// position.
Json sexagesimal(const Json& source, const char* key, bool ra) {
  const auto it = source.find(key);
  if (it == source.end() || !it->is_number()) return nullptr;
  const double value = it->get<double>();
  if (!std::isfinite(value) || (!ra && std::abs(value) > 90)) return nullptr;
  return ra ? format_ra_hms(value) : format_dec_dms(value);
}

void source_chip(const ApiServices& s, const PathParams& p, Respond respond) {
  const auto id = path_id(p, "id");
  s.visibility->night(
      id, std::nullopt, kDefaultVisibilityStep,
      [&s, respond = std::move(respond)](Result<SourceNight> answer) {
        if (!answer.ok()) return answer_error(s, respond, answer.error());
        const auto& source = answer->source;
        Json tonight = nullptr;
        if (answer->night) {
          tonight = {{"date", format_date(answer->date)},
                     {"max_elevation_deg", rounded(answer->night->max_elevation_deg)},
                     {"transit", format_timestamp(answer->night->transit)},
                     {"kind", kind_name(answer->night->kind)}};
        }
        respond(json_response(200, {{"id", source.value("id", Json(nullptr))},
                                    {"name", source.value("name", Json(nullptr))},
                                    {"type", source.value("type", Json(nullptr))},
                                    {"ra_deg", source.value("ra_deg", Json(nullptr))},
                                    {"dec_deg", source.value("dec_deg", Json(nullptr))},
                                    {"ra_hms", sexagesimal(source, "ra_deg", true)},
                                    {"dec_dms", sexagesimal(source, "dec_deg", false)},
                                    {"tonight", std::move(tonight)}}));
      });
}

}  // namespace

void add_visibility_routes(http::Router& router, const ApiServices& s) {
  if (s.visibility == nullptr) return;
  router.add(
      {.method = "GET",
       .pattern = "/visibility/{source_id}",
       .role = Role::viewer,
       .handler = [&s](const RequestContext&, const Request& r, const PathParams& p,
                       Respond respond) { source_visibility(s, r, p, std::move(respond)); },
       .summary = "Elevation and azimuth of a fixed source through a night at the "
                  "telescope (date, default tonight; step_minutes 1-120, default 10), "
                  "with rise, set, transit and maximum elevation",
       .response_shape = "source_night",
       .query_params = {{"date", "date", "The night starting on this date (default tonight)"},
                        {"step_minutes", "integer", "Sampling step, 1 to 120 (default 10)"}}});
  router.add(
      {.method = "GET",
       .pattern = "/visibility/heatmap",
       .role = Role::viewer,
       .handler =
           [&s](const RequestContext&, const Request& r, const PathParams&, Respond respond) {
             const auto& site = s.visibility->site();
             answer_nights(
                 s, parse_heatmap_query(r.query),
                 [site](const NightGrid& grid) { return heatmap_text(site, grid); },
                 std::move(respond));
           },
       .summary = "Elevation grid of fixed sources: nights (source_ids, start, days) by time "
                  "of night (step_minutes)",
       .response_shape = "visibility_heatmap",
       .query_params = {
           {"source_ids", "string", "Source ids separated by commas (at most 20)", true},
           {"start", "date", "The date of the first night (YYYY-MM-DD)", true},
           {"days", "integer", "Number of nights, 1 to 62 (default 7)"},
           {"step_minutes", "integer", "Sampling step, 1 to 120 (default 10)"}}});
  router.add(
      {.method = "POST",
       .pattern = "/visibility/precalculate",
       .role = Role::admin,
       .handler =
           [&s](const RequestContext&, const Request& r, const PathParams&, Respond respond) {
             answer_nights(s, parse_precalculate_body(s.builder.parse(r.body)), precalculated_text,
                           std::move(respond));
           },
       .summary = "Computes and caches the nights of these sources (bounded as the heatmap)",
       .body_fields = {{"source_ids", "array", true},
                       {"start", "string", true},
                       {"days", "integer", true},
                       {"step_minutes", "integer", false}},
       .response_shape = "visibility_precalculated"});
  router.add({.method = "GET",
              .pattern = "/sources/{id}/chip",
              .role = Role::viewer,
              .handler = [&s](const RequestContext&, const Request&, const PathParams& p,
                              Respond respond) { source_chip(s, p, std::move(respond)); },
              .summary = "A source's card: name, type, coordinates in degrees and sexagesimal, "
                         "tonight's maximum elevation",
              .response_shape = "source_chip"});
}

}  // namespace opsdb
