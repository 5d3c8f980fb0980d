#include "opsdb/http/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "opsdb/core/error.hpp"

namespace opsdb::http {
namespace {

using nlohmann::json;

Request make_request(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.target = path;
  request.path = std::move(path);
  return request;
}

// Dispatches to handlers that answer synchronously and returns their answer.
Response dispatch(const Router& router, const std::string& method, const std::string& path) {
  std::optional<Response> answer;
  int calls = 0;
  router.dispatch(make_request(method, path), RequestContext{"test-request"},
                  [&](Response response) {
                    ++calls;
                    answer = std::move(response);
                  });
  EXPECT_EQ(calls, 1) << method << " " << path << " must be answered exactly once";
  return answer.value_or(Response{});
}

Handler reply_with(std::string body) {
  return [body = std::move(body)](const RequestContext&, const Request&, const PathParams&,
                                  Respond respond) {
    Response response;
    response.body = body;
    respond(std::move(response));
  };
}

// Checks the error document {"error": {"code", "message", "details"}} and returns it.
json expect_error_document(const Response& response, const std::string& code) {
  EXPECT_EQ(response.content_type, "application/json");
  const auto document = json::parse(response.body);
  EXPECT_EQ(document.size(), 1u) << response.body;
  const auto& error = document.at("error");
  EXPECT_EQ(error.size(), 3u) << response.body;
  EXPECT_EQ(error.at("code"), code);
  EXPECT_TRUE(error.at("message").is_string());
  EXPECT_FALSE(error.at("message").get<std::string>().empty());
  EXPECT_TRUE(error.contains("details"));
  return error;
}

TEST(Router, LiteralSegmentBeatsParameterWhicheverIsAddedFirst) {
  Router router;
  router.add({"GET", "/units/{id}", Role::open, reply_with("param")});
  router.add({"GET", "/units/latest", Role::open, reply_with("literal")});
  router.add({"GET", "/units/{id}/finish", Role::open, reply_with("param-finish")});

  EXPECT_EQ(dispatch(router, "GET", "/units/latest").body, "literal");
  EXPECT_EQ(dispatch(router, "GET", "/units/42").body, "param");
  EXPECT_EQ(dispatch(router, "GET", "/units/latest/finish").body, "param-finish");
}

TEST(Router, ExtractsPathParameters) {
  Router router;
  PathParams seen;
  router.add(
      {"POST", "/executed_obs_units/{id}/steps/{step}", Role::open,
       [&](const RequestContext&, const Request&, const PathParams& params, Respond respond) {
         seen = params;
         respond(Response{});
       }});

  const auto response = dispatch(router, "POST", "/executed_obs_units/7f3a/steps/two");

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(seen, (PathParams{{"id", "7f3a"}, {"step", "two"}}));
}

TEST(Router, IgnoresTrailingSlashOnPathAndPattern) {
  Router router;
  router.add({"GET", "/status", Role::open, reply_with("status")});
  router.add({"GET", "/health/", Role::open, reply_with("health")});

  EXPECT_EQ(dispatch(router, "GET", "/status").body, "status");
  EXPECT_EQ(dispatch(router, "GET", "/status/").body, "status");
  EXPECT_EQ(dispatch(router, "GET", "/health").body, "health");
  EXPECT_EQ(dispatch(router, "GET", "/health/").body, "health");
}

TEST(Router, UnknownPathIs404WithJsonErrorDocument) {
  Router router;
  router.add({"GET", "/units/{id}", Role::open, reply_with("unit")});

  const auto response = dispatch(router, "GET", "/nothing/here");

  EXPECT_EQ(response.status, 404);
  const auto error = expect_error_document(response, "not_found");
  EXPECT_NE(error.at("message").get<std::string>().find("/nothing/here"), std::string::npos);
  EXPECT_TRUE(error.at("details").is_null());
  // A path longer than every pattern is not found either.
  EXPECT_EQ(dispatch(router, "GET", "/units/1/extra").status, 404);
}

// The message quotes the path, and bytes that are not UTF-8 used to make the error document
// itself fail to serialise, which the connection answered with a 500.
TEST(Router, AnErrorQuotingBytesThatAreNotUtf8IsStillItsOwnStatus) {
  Router router;
  router.add({"PUT", "/units/{id}/finish", Role::open,
              [](const RequestContext&, const Request&, const PathParams& p, Respond) {
                throw ApiError(ErrorKind::bad_request, "'" + p.at("id") + "' is not a UUID");
              }});

  const auto refused = dispatch(router, "PUT",
                                "/units/a\xff\xc0"
                                "b/finish");
  EXPECT_EQ(refused.status, 400);
  expect_error_document(refused, "bad_request");

  const auto unknown = dispatch(router, "GET", "/nothing\xfe");
  EXPECT_EQ(unknown.status, 404);
  expect_error_document(unknown, "not_found");
}

TEST(Router, WrongMethodIs405WithAllowListingTheMethods) {
  Router router;
  router.add({"POST", "/units", Role::open, reply_with("created")});
  router.add({"GET", "/units", Role::open, reply_with("list")});
  router.add({"PUT", "/other", Role::open, reply_with("other")});

  const auto response = dispatch(router, "DELETE", "/units");

  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "GET, POST");
  const auto error = expect_error_document(response, "method_not_allowed");
  EXPECT_EQ(error.at("details"), (json{{"allow", "GET, POST"}}));
}

TEST(Router, ApiErrorFromHandlerBecomesItsStatusAndBody) {
  Router router;
  const ApiError thrown(ErrorKind::conflict, "unit already finished", {{"id", "7"}});
  router.add(
      {"POST", "/units/{id}/finish", Role::open,
       [&](const RequestContext&, const Request&, const PathParams&, Respond) { throw thrown; }});

  const auto response = dispatch(router, "POST", "/units/7/finish");

  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(json::parse(response.body), (json{{"error",
                                               {{"code", "conflict"},
                                                {"message", "unit already finished"},
                                                {"details", {{"id", "7"}}}}}}));
}

TEST(Router, OtherExceptionFromHandlerIs500WithoutItsMessage) {
  Router router;
  router.add({"GET", "/boom", Role::open,
              [](const RequestContext&, const Request&, const PathParams&, Respond) {
                throw std::runtime_error("password=hunter2 in the SQL");
              }});

  const auto response = dispatch(router, "GET", "/boom");

  EXPECT_EQ(response.status, 500);
  expect_error_document(response, "internal");
  EXPECT_EQ(response.body.find("hunter2"), std::string::npos) << response.body;
}

TEST(Router, HandlerMayAnswerLater) {
  Router router;
  Respond saved;
  router.add({"GET", "/slow", Role::open,
              [&](const RequestContext&, const Request&, const PathParams&, Respond respond) {
                saved = std::move(respond);
              }});
  std::optional<Response> answer;
  router.dispatch(make_request("GET", "/slow"), RequestContext{"test-request"},
                  [&](Response response) { answer = response; });
  ASSERT_FALSE(answer.has_value());
  ASSERT_TRUE(saved);

  Response late;
  late.status = 202;
  saved(late);

  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 202);
}

TEST(Router, RouteTableCarriesRoles) {
  Router router;
  router.add({"GET", "/units", Role::viewer, reply_with("list")});
  router.add({"POST", "/units/{id}/finish", Role::observer, reply_with("finish")});

  const auto& routes = router.routes();

  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].pattern, "/units");
  EXPECT_EQ(routes[0].role, Role::viewer);
  EXPECT_EQ(routes[1].method, "POST");
  EXPECT_EQ(routes[1].pattern, "/units/{id}/finish");
  EXPECT_EQ(routes[1].role, Role::observer);
  EXPECT_STREQ(role_name(routes[1].role), "observer");
  EXPECT_STREQ(role_name(Role::admin), "admin");
}

}  // namespace
}  // namespace opsdb::http
