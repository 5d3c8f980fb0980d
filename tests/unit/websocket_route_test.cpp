#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "opsdb/core/caller.hpp"
#include "opsdb/core/error.hpp"
#include "opsdb/http/router.hpp"

namespace opsdb::http {
namespace {

using nlohmann::json;

// Admits exactly `Bearer good`, as a viewer; says what it was shown.
class OneTokenAuthenticator final : public Authenticator {
 public:
  std::optional<Admission> check(std::string_view authorization, std::string_view) override {
    seen = std::string(authorization);
    if (authorization == "Bearer good") return Caller{.user = "u", .roles = {Role::viewer}};
    return ApiError(ErrorKind::unauthorized, "bad credentials", {{"auth_error", "invalid_token"}});
  }
  void look_up(std::string, std::string, std::function<void(Admission)>) override {
    ADD_FAILURE() << "check() always decides";
  }
  std::string seen;
};

// A request as the HTTP session hands it over: `query` is the target's query, decoded.
Request upgrade_request(std::string target, std::map<std::string, std::string> query = {}) {
  Request request;
  request.method = "GET";
  request.target = target;
  request.path = target.substr(0, target.find('?'));
  request.query = std::move(query);
  request.headers = {{"upgrade", "websocket"}, {"connection", "Upgrade"}};
  return request;
}

class WebSocketRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Route route;
    route.method = "GET";
    route.pattern = "/ws/events";
    route.role = Role::viewer;
    route.success_status = 101;
    route.websocket = true;
    route.handler = [this](const RequestContext& context, const Request& request, const PathParams&,
                           Respond respond) {
      handled = request;
      caller = context.caller;
      Response response;
      response.status = 101;
      respond(std::move(response));
    };
    router_.add(route);
    route.pattern = "/ws/open";
    route.role = Role::open;
    router_.add(route);
  }

  Response dispatch(Request request) {
    std::optional<Response> answer;
    router_.dispatch(std::move(request), RequestContext{"test"},
                     [&](Response response) { answer = std::move(response); });
    EXPECT_TRUE(answer) << "answered synchronously";
    return answer.value_or(Response{});
  }

  std::shared_ptr<OneTokenAuthenticator> authenticator_ = std::make_shared<OneTokenAuthenticator>();
  Router router_{authenticator_};
  std::optional<Request> handled;
  std::optional<Caller> caller;
};

TEST_F(WebSocketRouteTest, PlainGetIs426WithUpgradeHeaderAndTheErrorDocument) {
  Request request = upgrade_request("/ws/events");
  request.headers.clear();
  request.headers["authorization"] = "Bearer good";

  const auto response = dispatch(request);

  EXPECT_EQ(response.status, 426);
  EXPECT_EQ(json::parse(response.body).at("error").at("code"), "upgrade_required");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Upgrade", "websocket"}));
  EXPECT_FALSE(handled) << "the handler never sees a request it cannot accept";
}

TEST_F(WebSocketRouteTest, UpgradeHeadersAreTokensOfListsInAnyCase) {
  Request request = upgrade_request("/ws/events");
  request.headers["authorization"] = "Bearer good";
  request.headers["upgrade"] = "WebSocket";
  request.headers["connection"] = "keep-alive, UPGRADE";

  EXPECT_EQ(dispatch(request).status, 101);

  request.headers["connection"] = "keep-alive, upgraded";
  EXPECT_EQ(dispatch(request).status, 426);
  request.headers["connection"] = "upgrade";
  request.headers["upgrade"] = "h2c";
  EXPECT_EQ(dispatch(request).status, 426);
}

TEST_F(WebSocketRouteTest, OtherMethodsAre405) {
  Request request = upgrade_request("/ws/events");
  request.method = "POST";

  const auto response = dispatch(request);

  EXPECT_EQ(response.status, 405);
  EXPECT_FALSE(handled);
}

TEST_F(WebSocketRouteTest, WithoutCredentialsTheUpgradeIsRefusedWith401) {
  const auto response = dispatch(upgrade_request("/ws/events"));

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(json::parse(response.body).at("error").at("code"), "unauthorized");
  EXPECT_FALSE(handled);
}

TEST_F(WebSocketRouteTest, TokenFromTheQueryAuthenticatesAndNeverReachesTheHandler) {
  const auto response = dispatch(upgrade_request("/ws/events?since=5&token=good&x=%41",
                                                 {{"since", "5"}, {"token", "good"}, {"x", "A"}}));

  EXPECT_EQ(response.status, 101);
  EXPECT_EQ(authenticator_->seen, "Bearer good");
  ASSERT_TRUE(handled);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user, "u");
  EXPECT_EQ(handled->query.count("token"), 0u);
  EXPECT_EQ(handled->query.at("since"), "5");
  EXPECT_EQ(handled->target, "/ws/events?since=5&x=%41");
}

TEST_F(WebSocketRouteTest, TokenNameIsRecognisedPercentEncodedToo) {
  const auto response = dispatch(upgrade_request("/ws/events?%74oken=good", {{"token", "good"}}));

  EXPECT_EQ(response.status, 101);
  ASSERT_TRUE(handled);
  EXPECT_EQ(handled->target, "/ws/events");
}

TEST_F(WebSocketRouteTest, AnAuthorizationHeaderWinsOverTheQueryToken) {
  Request request = upgrade_request("/ws/events?token=good", {{"token", "good"}});
  request.headers["authorization"] = "Bearer bad";

  const auto response = dispatch(request);

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(authenticator_->seen, "Bearer bad");
  EXPECT_FALSE(handled);
}

TEST_F(WebSocketRouteTest, AWrongQueryTokenIs401) {
  EXPECT_EQ(dispatch(upgrade_request("/ws/events?token=bad", {{"token", "bad"}})).status, 401);
  EXPECT_EQ(dispatch(upgrade_request("/ws/events?token=", {{"token", ""}})).status, 401);
  EXPECT_FALSE(handled);
}

TEST_F(WebSocketRouteTest, AnOpenRouteTakesTheTokenOutAsWell) {
  const auto response = dispatch(upgrade_request("/ws/open?token=good", {{"token", "good"}}));

  EXPECT_EQ(response.status, 101);
  ASSERT_TRUE(handled);
  EXPECT_TRUE(handled->query.empty());
  EXPECT_EQ(handled->target, "/ws/open");
}

TEST(WebSocketRouteQueryTest, TokenOfAnOrdinaryRouteIsLeftToItsHandler) {
  Router router;
  std::optional<Request> handled;
  router.add(
      {"GET", "/plain", Role::open,
       [&](const RequestContext&, const Request& request, const PathParams&, Respond respond) {
         handled = request;
         respond(Response{});
       }});
  Request request = upgrade_request("/plain?token=abc", {{"token", "abc"}});

  router.dispatch(request, RequestContext{"test"}, [](Response) {});

  ASSERT_TRUE(handled);
  EXPECT_EQ(handled->query.at("token"), "abc");
}

}  // namespace
}  // namespace opsdb::http
