#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "opsdb/http/message.hpp"

namespace opsdb {
class ApiError;
}

namespace opsdb::http {

/// Role a caller needs for a route. Enforced once authentication lands; until then it is data
/// that documents the contract and is tested as such.
enum class Role { open, viewer, observer, service, admin };

const char* role_name(Role role);

/// Values of `{name}` segments of the matched pattern.
using PathParams = std::map<std::string, std::string>;

/// A request handler: reads the request, eventually calls `respond` exactly once (possibly from
/// another thread). It may throw `ApiError` synchronously; the router turns that into a response.
using Handler = std::function<void(const Request&, const PathParams&, Respond)>;

/// One row of the route table.
struct Route {
  std::string method;   // "GET", "POST", "PUT", ...
  std::string pattern;  // "/executed_obs_units/{id}/finish"; a trailing slash is ignored
  Role role = Role::open;
  Handler handler;
};

/// The route table as data: method + path pattern -> handler. Matching is by segments; a
/// literal segment beats a `{param}` segment at the same position.
class Router {
 public:
  void add(Route route);

  /// Dispatches a request: 404 for unknown paths, 405 with `Allow` for a wrong method, the
  /// JSON error format for `ApiError` and any other exception thrown synchronously.
  void dispatch(const Request& request, Respond respond) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

/// The JSON error response for an `ApiError`; the one place errors become HTTP.
Response error_response(const ApiError& error);

}  // namespace opsdb::http
