#include <cstdint>

#include "opsdb/query/query_parameters.hpp"
#include "responses.hpp"
#include "route_groups.hpp"

namespace opsdb {
namespace {

using namespace route_names;

constexpr int kMaxPrograms = 1000;

void list_programs(const ApiServices& s, const Request& r, Respond respond) {
  int limit = 100;
  std::optional<int> after;
  for (const auto& [key, value] : r.query) {
    if (key == "limit") {
      limit = parse_int_parameter(key, value, 1, kMaxPrograms);
    } else if (key == "cursor") {
      after = parse_int_parameter(key, value, 1, INT32_MAX);
    } else {
      throw ApiError(ErrorKind::bad_request,
                     "unknown parameter '" + key + "' (limit and cursor are known)");
    }
  }
  s.programs->programs(after, limit, [&s, limit, respond](Result<std::vector<Json>> rows) {
    if (!rows.ok()) return respond_error(respond, rows.error(), s.read_dependency());
    auto& items = *rows;
    Json next = nullptr;
    if (static_cast<int>(items.size()) > limit) {
      items.resize(limit);
      next = std::to_string(items.back().value("id", 0));
    }
    const auto count = items.size();
    respond(
        json_response(200, {{"items", std::move(items)}, {"count", count}, {"next_cursor", next}}));
  });
}

void answer_change(Respond respond, int status, Result<Json> changed) {
  if (!changed.ok()) {
    return respond_main_only_error(respond, changed.error(), "observing programs are changed");
  }
  respond(json_response(status, *changed));
}

}  // namespace

void add_program_routes(http::Router& router, const ApiServices& s) {
  if (s.programs == nullptr) return;
  const std::vector<http::BodyField> fields{
      {"name", "string", false}, {"short_name", "string", false}, {"description", "string", false}};
  router.add({.method = "GET",
              .pattern = "/observing_program",
              .role = Role::viewer,
              .handler = [&s](const RequestContext&, const Request& r, const PathParams&,
                              Respond respond) { list_programs(s, r, std::move(respond)); },
              .summary = "Observing programs by id, with their sub-program and obs unit counts",
              .response_shape = "program_page",
              .query_params = {{"limit", "integer", "Page size, 1 to 1000 (default 100)"},
                               {"cursor", "integer", "The next_cursor of the previous page"}}});
  router.add(
      {.method = "GET",
       .pattern = "/observing_program/{id}",
       .role = Role::viewer,
       .handler =
           [&s](const RequestContext&, const Request&, const PathParams& p, Respond respond) {
             const int id = parse_int_parameter("the program id", p.at("id"), 1, INT32_MAX);
             s.programs->program(id, [&s, id, respond](Result<std::optional<Json>> r) {
               if (!r.ok()) return respond_error(respond, r.error(), s.read_dependency());
               if (!*r) {
                 return respond(http::error_response(
                     ApiError(ErrorKind::not_found,
                              "observing program " + std::to_string(id) + " does not exist")));
               }
               respond(json_response(200, **r));
             });
           },
       .summary = "One observing program with its sub-programs and obs units",
       .response_shape = "program"});
  router.add(
      {.method = "POST",
       .pattern = "/observing_program",
       .role = Role::admin,
       .handler =
           [&s](const RequestContext&, const Request& r, const PathParams&, Respond respond) {
             auto fields = parse_program_fields(s.builder.parse(r.body), true);
             s.programs->create(std::move(fields), [respond](Result<Json> created) {
               answer_change(respond, 201, std::move(created));
             });
           },
       .success_status = 201,
       .summary = "Create an observing program (on the main database, never buffered)",
       .body_fields = {{"name", "string", true},
                       {"short_name", "string", false},
                       {"description", "string", false}},
       .response_shape = "program"});
  router.add(
      {.method = "PUT",
       .pattern = "/observing_program/{id}",
       .role = Role::admin,
       .handler =
           [&s](const RequestContext&, const Request& r, const PathParams& p, Respond respond) {
             const int id = parse_int_parameter("the program id", p.at("id"), 1, INT32_MAX);
             auto fields = parse_program_fields(s.builder.parse(r.body), false);
             s.programs->update(id, std::move(fields), [respond](Result<Json> updated) {
               answer_change(respond, 200, std::move(updated));
             });
           },
       .summary = "Change an observing program's name, short name or description",
       .body_fields = fields,
       .response_shape = "program"});
}

}  // namespace opsdb
