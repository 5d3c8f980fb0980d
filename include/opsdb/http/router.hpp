#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/caller.hpp"
#include "opsdb/core/error.hpp"
#include "opsdb/http/message.hpp"
#include "opsdb/http/request_context.hpp"

namespace opsdb::http {

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

/// One query-string parameter a route reads, as the route's contract documents it.
struct QueryParam {
  std::string name{};
  std::string type{};  // as BodyField::type, plus "number" and "date" (YYYY-MM-DD)
  std::string description{};
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
  /// The query-string parameters the handler reads; any other is refused with 400.
  std::vector<QueryParam> query_params{};
  /// A WebSocket endpoint (method GET): a request that is not a WebSocket upgrade is answered
  /// 426; the handler accepts the upgrade by answering with a `Response::feed`. Browsers cannot
  /// set headers on a WebSocket, so the bearer token may come as the query parameter `token`
  /// instead (only when there is no `Authorization` header); the router takes it out of the
  /// request before the handler sees it.
  bool websocket = false;
};

/// The route table as data: method + path pattern -> handler. Matching is by segments; a
/// literal segment beats a `{param}` segment at the same position.
class Router {
 public:
  /// Without an authenticator every route that requires a role answers 401: nothing is open by
  /// accident.
  explicit Router(std::shared_ptr<opsdb::Authenticator> authenticator = nullptr);

  void add(Route route);

  /// Dispatches a request: 404 for unknown paths, 405 with `Allow` for a wrong method, 426 with
  /// `Upgrade: websocket` for a WebSocket route asked without an upgrade, 401 or 403 when the
  /// route requires a role the caller does not prove, the JSON error format for `ApiError` and
  /// any other exception thrown synchronously. Returns the route that serves it; null when none
  /// matched.
  const Route* dispatch(Request request, RequestContext context, Respond respond) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  void admit(const Route& route, std::shared_ptr<const Request> request, RequestContext context,
             PathParams params, Respond respond, Admission admission) const;

  std::shared_ptr<opsdb::Authenticator> authenticator_;
  std::vector<Route> routes_;
};

/// The JSON error response for an `ApiError`; the one place errors become HTTP. A 401 or 403
/// carries `WWW-Authenticate: Bearer` (RFC 6750), with the `error` parameter the error's
/// details name.
Response error_response(const ApiError& error);

/// True when the request asks to become a WebSocket: `Upgrade: websocket` and `Connection:
/// upgrade` (tokens of comma-separated lists, in any case).
bool is_websocket_upgrade(const Request& request);

}  // namespace opsdb::http
