#include "responses.hpp"
#include "route_groups.hpp"
#include "write_route.hpp"

namespace opsdb {

void add_raw_data_package_routes(http::Router& router, const ApiServices& s) {
  router.add(
      write_route(s,
                  {.method = "POST",
                   .pattern = "/raw_data_package/",
                   .role = Role::observer,
                   .success_status = 201,
                   .summary = "Create a raw data package, attaching files already registered",
                   .body_fields = {{"name", "string", true},
                                   {"executed_obs_unit_id", "uuid", true},
                                   {"instrument_module_id", "integer", true},
                                   {"state", "string", false},
                                   {"size_bytes", "integer", false},
                                   {"checksum", "string", false},
                                   {"metadata", "object", false},
                                   {"raw_data_file_ids", "array", false}},
                   .response_shape = "write_receipt"},
                  [](auto& b, auto& r, auto&) { return b.create_package(b.parse(r.body)); }));
  router.add(
      write_route(s,
                  {.method = "PUT",
                   .pattern = "/raw_data_package/{id}/finalize",
                   .role = Role::observer,
                   .success_status = 200,
                   .summary = "Mark a raw data package complete",
                   .body_fields = {{"size_bytes", "integer", false}, {"checksum", "string", false}},
                   .response_shape = "write_receipt"},
                  [](auto& b, auto& r, auto& p) {
                    return b.finalize_package(p.at("id"), optional_body(b, r));
                  }));
  router.add({.method = "GET",
              .pattern = "/raw_data_package/{id}",
              .role = Role::viewer,
              .handler =
                  [&s](const http::RequestContext&, const http::Request&, const http::PathParams& p,
                       http::Respond respond) {
                    auto id = path_uuid(p.at("id"), "raw_data_package id");
                    s.reads.raw_data_package(
                        id, answer_record(std::move(respond), s.read_dependency(),
                                          "raw_data_package " + id + " does not exist"));
                  },
              .success_status = 200,
              .summary = "One raw data package with its files",
              .response_shape = "raw_data_package"});
}

}  // namespace opsdb
