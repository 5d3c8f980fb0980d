#include "opsdb/http/router.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <optional>
#include <set>
#include <string_view>

#include "opsdb/core/error.hpp"

namespace opsdb::http {
namespace {

// The query parameter that carries a WebSocket client's bearer token.
constexpr std::string_view kTokenParameter = "token";

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::string current;
  for (char c : path) {
    if (c == '/') {
      if (!current.empty()) segments.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) segments.push_back(std::move(current));
  return segments;
}

bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Returns the number of literal segments matched (higher = more specific), or -1 for no match.
int match(const std::string& pattern, const std::vector<std::string>& path, PathParams& params) {
  auto parts = split_path(pattern);
  if (parts.size() != path.size()) return -1;
  int literals = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (is_param(parts[i])) {
      params[parts[i].substr(1, parts[i].size() - 2)] = path[i];
    } else if (parts[i] == path[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

// RFC 6750 §3: the scheme, the realm, and for presented but unusable credentials the error code
// and a description (quoted-string: no quotes, backslashes or control characters inside).
std::string bearer_challenge(const ApiError& error) {
  std::string challenge = "Bearer realm=\"ops-db-api\"";
  const auto& details = error.details();
  if (!details.is_object()) return challenge;
  const auto code = details.find("auth_error");
  if (code == details.end() || !code->is_string()) return challenge;
  challenge += ", error=\"" + code->get<std::string>() + "\"";
  std::string description;
  for (char c : std::string(error.what())) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') description.push_back(c);
  }
  challenge += ", error_description=\"" + description + "\"";
  return challenge;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Whether a comma-separated header value such as `keep-alive, Upgrade` holds `token`.
bool lists_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
  }
  return false;
}

Response upgrade_required(const std::string& path) {
  // ErrorKind has no 426; the body keeps the usual error document.
  auto response = error_response(ApiError(
      ErrorKind::bad_request, path + " is a WebSocket endpoint: connect with Upgrade: websocket",
      nullptr, "upgrade_required"));
  response.status = 426;
  response.headers.emplace_back("Upgrade", "websocket");
  return response;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The name of a raw `name=value` pair of a query, percent-decoded as the query map's keys are.
std::string decoded_name(std::string_view pair) {
  const auto raw = pair.substr(0, pair.find('='));
  std::string name;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '+') {
      name.push_back(' ');
    } else if (raw[i] == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 &&
               hex_value(raw[i + 2]) >= 0) {
      name.push_back(static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2])));
      i += 2;
    } else {
      name.push_back(raw[i]);
    }
  }
  return name;
}

// The request target without the pairs naming `parameter`.
std::string target_without(std::string_view target, std::string_view parameter) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::string(target);
  std::string kept(target.substr(0, question));
  auto query = target.substr(question + 1);
  char separator = '?';
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty() || decoded_name(pair) == parameter) continue;
    kept.push_back(separator);
    kept.append(pair);
    separator = '&';
  }
  return kept;
}

// Takes the bearer token of a WebSocket client out of the request: it is a credential, and no
// handler, log line or error message may see it.
std::optional<std::string> take_query_token(Request& request) {
  const auto it = request.query.find(std::string(kTokenParameter));
  if (it == request.query.end()) return std::nullopt;
  auto token = std::move(it->second);
  request.query.erase(it);
  request.target = target_without(request.target, kTokenParameter);
  return token;
}

}  // namespace

bool is_websocket_upgrade(const Request& request) {
  return lists_token(request.header("upgrade"), "websocket") &&
         lists_token(request.header("connection"), "upgrade");
}

Router::Router(std::shared_ptr<Authenticator> authenticator)
    : authenticator_(std::move(authenticator)) {}

void Router::add(Route route) {
  routes_.push_back(std::move(route));
}

Response error_response(const ApiError& error) {
  Response response;
  response.status = http_status(error.kind());
  // A message may quote the request (a path segment, a parameter name), and the request may be
  // anything: bytes that are not UTF-8 are replaced rather than failing the answer.
  response.body = error.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (error.kind() == ErrorKind::unauthorized || error.kind() == ErrorKind::forbidden) {
    response.headers.emplace_back("WWW-Authenticate", bearer_challenge(error));
  }
  return response;
}

const Route* Router::dispatch(Request request, RequestContext context, Respond respond) const {
  const auto path = split_path(request.path);
  const Route* best = nullptr;
  int best_score = -1;
  PathParams best_params;
  std::set<std::string> allowed;
  for (const auto& route : routes_) {
    PathParams params;
    int score = match(route.pattern, path, params);
    if (score < 0) continue;
    allowed.insert(route.method);
    if (route.method == request.method && score > best_score) {
      best = &route;
      best_score = score;
      best_params = std::move(params);
    }
  }
  if (best == nullptr) {
    if (allowed.empty()) {
      respond(error_response(ApiError(ErrorKind::not_found, "no route for " + request.path)));
      return nullptr;
    }
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    auto response = error_response(ApiError(ErrorKind::method_not_allowed,
                                            request.method + " is not allowed on " + request.path,
                                            {{"allow", allow}}));
    response.headers.emplace_back("Allow", allow);
    respond(std::move(response));
    return nullptr;
  }
  std::optional<std::string> query_token;
  if (best->websocket) {
    if (!is_websocket_upgrade(request)) {
      respond(upgrade_required(request.path));
      return best;
    }
    query_token = take_query_token(request);
  }
  // One allocation keeps the request alive while credentials are looked up off this thread.
  auto shared = std::make_shared<const Request>(std::move(request));
  if (best->role == Role::open) {
    admit(*best, std::move(shared), std::move(context), std::move(best_params), std::move(respond),
          Caller{});
    return best;
  }
  if (!authenticator_) {
    respond(error_response(ApiError(ErrorKind::unauthorized,
                                    "this server accepts no credentials for " + best->pattern,
                                    {{"auth_error", "invalid_token"}})));
    return best;
  }
  const auto header = shared->headers.find("authorization");
  std::string authorization = header == shared->headers.end() ? "" : header->second;
  // Browsers cannot set headers on a WebSocket; a header, when sent, still wins.
  if (header == shared->headers.end() && query_token) authorization = "Bearer " + *query_token;
  if (auto admission = authenticator_->check(authorization, context.remote_address)) {
    admit(*best, std::move(shared), std::move(context), std::move(best_params), std::move(respond),
          std::move(*admission));
    return best;
  }
  std::string remote = context.remote_address;
  authenticator_->look_up(authorization, std::move(remote),
                          [this, best, shared = std::move(shared), context = std::move(context),
                           params = std::move(best_params), respond](Admission admission) mutable {
                            admit(*best, std::move(shared), std::move(context), std::move(params),
                                  std::move(respond), std::move(admission));
                          });
  return best;
}

void Router::admit(const Route& route, std::shared_ptr<const Request> request,
                   RequestContext context, PathParams params, Respond respond,
                   Admission admission) const {
  if (const auto* refusal = std::get_if<ApiError>(&admission)) {
    respond(error_response(*refusal));
    return;
  }
  auto& caller = std::get<Caller>(admission);
  if (route.role != Role::open) {
    if (!caller.may(route.role)) {
      respond(error_response(ApiError(
          ErrorKind::forbidden, std::string("this needs the role '") + role_name(route.role) + "'",
          {{"auth_error", "insufficient_scope"}, {"required_role", role_name(route.role)}})));
      return;
    }
    context.caller = std::move(caller);
  }
  try {
    route.handler(context, *request, params, respond);
  } catch (const ApiError& error) {
    respond(error_response(error));
  } catch (const std::exception& error) {
    spdlog::error("handler for {} {} (request {}) threw: {}", request->method, request->path,
                  context.request_id, error.what());
    respond(error_response(ApiError(ErrorKind::internal, "internal error")));
  }
}

}  // namespace opsdb::http
