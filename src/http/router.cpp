#include "opsdb/http/router.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "opsdb/core/error.hpp"

namespace opsdb::http {
namespace {

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

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::open:
      return "open";
    case Role::viewer:
      return "viewer";
    case Role::observer:
      return "observer";
    case Role::service:
      return "service";
    case Role::admin:
      return "admin";
  }
  return "open";
}

void Router::add(Route route) {
  routes_.push_back(std::move(route));
}

Response error_response(const ApiError& error) {
  Response response;
  response.status = http_status(error.kind());
  // A message may quote the request (a path segment, a parameter name), and the request may be
  // anything: bytes that are not UTF-8 are replaced rather than failing the answer.
  response.body = error.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

const Route* Router::dispatch(const Request& request, const RequestContext& context,
                              Respond respond) const {
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
  try {
    best->handler(context, request, best_params, respond);
  } catch (const ApiError& error) {
    respond(error_response(error));
  } catch (const std::exception& error) {
    spdlog::error("handler for {} {} (request {}) threw: {}", request.method, request.path,
                  context.request_id, error.what());
    respond(error_response(ApiError(ErrorKind::internal, "internal error")));
  }
  return best;
}

}  // namespace opsdb::http
