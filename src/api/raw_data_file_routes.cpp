#include "responses.hpp"
#include "route_groups.hpp"
#include "write_route.hpp"

namespace opsdb {
namespace {

using namespace route_names;

// The fields of one file, alone or as an element of a bulk registration.
std::vector<BodyField> file_fields() {
  return {{"name", "string", true},
          {"relative_path", "string", true},
          {"executed_obs_unit_id", "uuid", true},
          {"instrument_module_id", "integer", true},
          {"size_bytes", "integer", true},
          {"checksum", "string", true},
          {"file_type", "string", false},
          {"raw_data_package_id", "uuid", false}};
}

}  // namespace

void add_raw_data_file_routes(http::Router& router, const ApiServices& s) {
  router.add(write_route(s,
                         {.method = "POST",
                          .pattern = "/raw_data_files/",
                          .role = Role::observer,
                          .success_status = 201,
                          .summary = "Register a raw data file",
                          .body_fields = file_fields(),
                          .response_shape = "write_receipt"},
                         [](auto& b, auto& r, auto&) { return b.register_file(b.parse(r.body)); }));
  router.add(
      write_route(s,
                  {.method = "POST",
                   .pattern = "/raw_data_files/bulk",
                   .role = Role::observer,
                   .success_status = 201,
                   .summary = "Register many raw data files in one transaction",
                   .body_fields = file_fields(),
                   .body_is_array = true,
                   .response_shape = "bulk_write_receipt"},
                  [](auto& b, auto& r, auto&) { return b.register_files(b.parse_files(r.body)); }));
  router.add({.method = "GET",
              .pattern = "/raw_data_files/{id}",
              .role = Role::viewer,
              .handler =
                  [&s](const http::RequestContext&, const http::Request&, const http::PathParams& p,
                       http::Respond respond) {
                    auto id = path_uuid(p.at("id"), "raw_data_file id");
                    s.reads.raw_data_file(id,
                                          answer_record(std::move(respond), s.read_dependency(),
                                                        "raw_data_file " + id + " does not exist"));
                  },
              .success_status = 200,
              .summary = "One raw data file",
              .response_shape = "raw_data_file"});
}

}  // namespace opsdb
