#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "opsdb/http/message.hpp"
#include "opsdb/http/request_context.hpp"

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
using Handler =
    std::function<void(const RequestContext&, const Request&, const PathParams&, Respond)>;

/// One field of a request body, as the route's contract documents it.
struct BodyField {
  std::string name{};
  std::string type{};  // "integer", "string", "uuid", "timestamp", "object", "array"
  bool required = false;
};

/// One row of the route table: the handler and the whole contract of the route, as data that
/// documentation, authorisation and metrics read without calling the handler.
struct Route {
  // Every member has a default so that route tables may name only what applies to a route.
  std::string method{};   // "GET", "POST", "PUT", ...
  std::string pattern{};  // "/executed_obs_units/{id}/finish"; a trailing slash is ignored
  Role role = Role::open;
  Handler handler{};
  int success_status = 200;  // the status of a successful answer
  std::string summary{};     // one line for people
  /// Fields of the request body: of the object, or of each element when `body_is_array`.
  std::vector<BodyField> body_fields{};
  bool body_is_array = false;
  std::string response_shape{};  // name of the document a successful answer carries
};

/// The route table as data: method + path pattern -> handler. Matching is by segments; a
/// literal segment beats a `{param}` segment at the same position.
class Router {
 public:
  void add(Route route);

  /// Dispatches a request: 404 for unknown paths, 405 with `Allow` for a wrong method, the
  /// JSON error format for `ApiError` and any other exception thrown synchronously. Returns the
  /// route that serves it; null when none matched.
  const Route* dispatch(const Request& request, const RequestContext& context,
                        Respond respond) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

/// The JSON error response for an `ApiError`; the one place errors become HTTP.
Response error_response(const ApiError& error);

}  // namespace opsdb::http
