#include "opsdb/api/routes.hpp"

#include "route_groups.hpp"

namespace opsdb {

std::shared_ptr<http::Router> make_router(const ApiServices& services) {
  auto router = std::make_shared<http::Router>(services.authenticator);
  add_observation_routes(*router, services);
  add_raw_data_file_routes(*router, services);
  add_raw_data_package_routes(*router, services);
  add_operations_routes(*router, services);
  add_source_routes(*router, services);
  add_visibility_routes(*router, services);
  add_program_routes(*router, services);
  add_transfer_routes(*router, services);
  add_event_routes(*router, services);
  add_auth_routes(*router, services);
  add_docs_routes(*router, services);
  add_openapi_routes(*router, services);
  return router;
}

}  // namespace opsdb
