#include <memory>
#include <mutex>

#include "opsdb/api/openapi.hpp"
#include "opsdb/core/version.hpp"
#include "responses.hpp"
#include "route_groups.hpp"

namespace opsdb {
namespace {

using namespace route_names;

// The document of the router's final table, rendered once: at the first request, when every
// route group has been added (whatever their order in make_router), then served as is.
class OpenApiDocument {
 public:
  OpenApiDocument(const http::Router& router, SiteType site) : router_(router), site_(site) {}

  const http::Response& response() const {
    std::call_once(rendered_, [this] {
      response_ = json_response(200, openapi_document(router_.routes(), site_, version()));
    });
    return response_;
  }

 private:
  const http::Router& router_;  // owns the route that owns this document
  const SiteType site_;
  mutable std::once_flag rendered_;
  mutable http::Response response_;
};

}  // namespace

void add_openapi_routes(http::Router& router, const ApiServices& services) {
  auto document = std::make_shared<const OpenApiDocument>(
      router, services.secondary() ? SiteType::secondary : SiteType::main);
  router.add({.method = "GET",
              .pattern = "/openapi.json",
              .role = Role::open,
              .handler = [document](const RequestContext&, const Request&, const PathParams&,
                                    Respond respond) { respond(document->response()); },
              .success_status = 200,
              .summary = "This API's OpenAPI 3.1 document, generated from the route table",
              .response_shape = "openapi_document"});
}

}  // namespace opsdb
