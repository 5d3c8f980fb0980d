#include <array>

#include "opsdb/auth/api_token.hpp"
#include "opsdb/auth/token_issuer.hpp"
#include "opsdb/core/timestamp.hpp"
#include "responses.hpp"
#include "route_groups.hpp"

namespace opsdb {
namespace {

using namespace route_names;

constexpr std::array kRoles{Role::admin, Role::observer, Role::service, Role::viewer};

const char* role_description(Role role) {
  switch (role) {
    case Role::admin:
      return "everything, including dead-letter administration and every user's tokens";
    case Role::observer:
      return "records observations and raw data, and reads";
    case Role::service:
      return "automation: records observations and raw data, and reads";
    case Role::viewer:
      return "reads";
    case Role::open:
      break;
  }
  return "";
}

Json role_names(const std::vector<Role>& roles) {
  auto names = Json::array();
  for (Role role : roles) names.push_back(role_name(role));
  return names;
}

Json time_or_null(const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? Json(format_timestamp(*t)) : Json(nullptr);
}

Json token_document(const auth::TokenInfo& t) {
  return {{"prefix", t.prefix},
          {"display", std::string(auth::kApiTokenMarker) + t.prefix + "..."},
          {"name", t.name},
          {"user", t.user},
          {"scopes", role_names(t.scopes)},
          {"created_at", format_timestamp(t.created_at)},
          {"expires_at", time_or_null(t.expires_at)},
          {"last_used_at", time_or_null(t.last_used_at)},
          {"is_active", t.active}};
}

// The caller's strongest role: what a token is for when the request names none.
Role strongest(const Caller& caller) {
  for (Role role : kRoles) {
    if (caller.may(role)) return role;
  }
  return Role::viewer;
}

auth::TokenRequest token_request(const ApiServices& s, const Caller& caller, const Request& r) {
  const auto body = s.builder.parse(r.body);
  if (!body.is_object()) throw ApiError(ErrorKind::bad_request, "the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key != "name" && key != "role" && key != "expires_in_days") {
      throw ApiError(ErrorKind::bad_request, "unknown field '" + key + "'");
    }
  }
  auth::TokenRequest request{.user = caller.user, .role = strongest(caller)};
  const auto name = body.find("name");
  if (name == body.end() || !name->is_string()) {
    throw ApiError(ErrorKind::bad_request,
                   "name is required: a string that says what the "
                   "token is for");
  }
  request.name = name->get<std::string>();
  if (const auto role = body.find("role"); role != body.end()) {
    const auto parsed = role->is_string() ? parse_role(role->get<std::string>()) : std::nullopt;
    if (!parsed) {
      throw ApiError(ErrorKind::bad_request,
                     "role must be one of admin, observer, service, viewer");
    }
    if (!caller.may(*parsed)) {
      throw ApiError(ErrorKind::forbidden,
                     std::string("you cannot issue a token for the role '") + role_name(*parsed) +
                         "', which you do not hold",
                     {{"auth_error", "insufficient_scope"}});
    }
    request.role = *parsed;
  }
  if (const auto days = body.find("expires_in_days"); days != body.end() && !days->is_null()) {
    if (!days->is_number_integer()) {
      throw ApiError(ErrorKind::bad_request, "expires_in_days must be an integer");
    }
    const auto value = days->get<std::int64_t>();
    if (value < 1 || value > auth::kMaxTokenDays) {
      throw ApiError(ErrorKind::bad_request, "expires_in_days must be between 1 and " +
                                                 std::to_string(auth::kMaxTokenDays));
    }
    request.expires_in_days = static_cast<int>(value);
  }
  if (auto problem = auth::token_request_problem(request)) {
    throw ApiError(ErrorKind::bad_request, *problem);
  }
  return request;
}

// Token management writes to the main database, wherever the server runs; while it cannot be
// reached, the client learns that verification is not affected.
void token_error(const Respond& respond, const Error& error) {
  respond_main_only_error(respond, error, "tokens are managed (existing tokens keep working)");
}

void add_identity_routes(http::Router& router) {
  router.add(
      {.method = "GET",
       .pattern = "/auth/me",
       .role = Role::viewer,
       .handler =
           [](const RequestContext& context, const Request&, const PathParams&, Respond respond) {
             const Caller& caller = *context.caller;
             Json me{{"user", caller.user},
                     {"roles", role_names(caller.roles)},
                     {"auth_method", caller.method}};
             if (caller.method == "jwt") {
               me["subject"] = caller.user;
             } else {
               me["token_prefix"] = caller.token_prefix;
             }
             respond(json_response(200, me));
           },
       .summary = "Who the credentials of this request belong to",
       .response_shape = "caller"});
  router.add(
      {.method = "GET",
       .pattern = "/api/tokens/scopes",
       .role = Role::viewer,
       .handler =
           [](const RequestContext& context, const Request&, const PathParams&, Respond respond) {
             auto scopes = Json::array();
             for (Role role : kRoles) {
               scopes.push_back({{"name", role_name(role)},
                                 {"description", role_description(role)},
                                 {"grantable", context.caller->may(role)}});
             }
             respond(json_response(200, {{"scopes", scopes}}));
           },
       .summary = "The roles a token can carry, and which of them the caller may grant",
       .response_shape = "token_scopes"});
}

void add_token_routes(http::Router& router, const ApiServices& s) {
  router.add({.method = "POST",
              .pattern = "/api/tokens",
              .role = Role::viewer,
              .handler =
                  [&s](const RequestContext& context, const Request& r, const PathParams&,
                       Respond respond) {
                    auth::issue_token(*s.tokens, *s.clock, token_request(s, *context.caller, r),
                                      [respond](Result<auth::IssuedToken> issued) {
                                        if (!issued.ok())
                                          return token_error(respond, issued.error());
                                        auto document = token_document(issued->info);
                                        document["token"] = issued->token;
                                        document["warning"] =
                                            "the token is shown only now: store it safely";
                                        respond(json_response(201, document));
                                      });
                  },
              .success_status = 201,
              .summary = "Create an API token for the caller; the answer holds the token, once",
              .body_fields = {{"name", "string", true},
                              {"role", "string", false},
                              {"expires_in_days", "integer", false}},
              .response_shape = "issued_token"});
  router.add(
      {.method = "GET",
       .pattern = "/api/tokens",
       .role = Role::viewer,
       .handler =
           [&s](const RequestContext& context, const Request&, const PathParams&, Respond respond) {
             s.tokens->list(context.caller->user,
                            [respond](Result<std::vector<auth::TokenInfo>> tokens) {
                              if (!tokens.ok()) return token_error(respond, tokens.error());
                              auto list = Json::array();
                              for (const auto& t : *tokens) {
                                list.push_back(token_document(t));
                              }
                              respond(json_response(200, {{"tokens", list}}));
                            });
           },
       .summary = "The caller's API tokens, without the tokens themselves",
       .response_shape = "token_list"});
  router.add({.method = "DELETE",
              .pattern = "/api/tokens/{prefix}",
              .role = Role::viewer,
              .handler =
                  [&s](const RequestContext& context, const Request&, const PathParams& params,
                       Respond respond) {
                    const auto& prefix = params.at("prefix");
                    if (!auth::is_token_prefix(prefix)) {
                      throw ApiError(
                          ErrorKind::bad_request,
                          "a token prefix is 12 lower-case hex digits, as token listings "
                          "show it");
                    }
                    // An administrator revokes anyone's token; everyone else only their own.
                    std::optional<std::string> owner;
                    if (!context.caller->may(Role::admin)) owner = context.caller->user;
                    s.tokens->revoke(prefix, owner, [respond](Result<auth::TokenInfo> revoked) {
                      if (!revoked.ok()) return token_error(respond, revoked.error());
                      respond(json_response(200, token_document(*revoked)));
                    });
                  },
              .summary = "Revoke an API token by its prefix; it stops working everywhere within "
                         "AUTH_CACHE_TTL",
              .response_shape = "token"});
}

}  // namespace

void add_auth_routes(http::Router& router, const ApiServices& services) {
  add_identity_routes(router);
  if (services.tokens != nullptr) add_token_routes(router, services);
}

}  // namespace opsdb
