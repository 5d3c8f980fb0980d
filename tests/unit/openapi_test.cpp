#include "opsdb/api/openapi.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "opsdb/app/openapi_command.hpp"
#include "opsdb/core/version.hpp"
#include "support/api_fakes.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::set<std::string> path_parameters_of(const std::string& pattern) {
  std::set<std::string> names;
  for (std::size_t open = pattern.find('{'); open != std::string::npos;
       open = pattern.find('{', open + 1)) {
    names.insert(pattern.substr(open + 1, pattern.find('}', open) - open - 1));
  }
  return names;
}

// Every "$ref" in `node`, with where it was found.
void collect_refs(const json& node, const std::string& at,
                  std::vector<std::pair<std::string, std::string>>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) refs.emplace_back(at, value.get<std::string>());
      collect_refs(value, at + "/" + key, refs);
    }
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      collect_refs(node[i], at + "/" + std::to_string(i), refs);
    }
  }
}

// The document of each site's route table (the server's make_router, offline), checked against
// the table it was rendered from.
class OpenApiTest : public ::testing::TestWithParam<SiteType> {
 protected:
  void SetUp() override {
    routes_ = route_contracts(config_, GetParam());
    document_ = openapi_document(routes_, GetParam(), version());
  }

  const json& operation(const http::Route& route) const {
    return document_.at("paths").at(openapi_path(route.pattern)).at(lower(route.method));
  }

  Config config_;
  std::vector<http::Route> routes_;
  json document_;
};

TEST_P(OpenApiTest, HasExactlyOneOperationPerRoute) {
  ASSERT_FALSE(routes_.empty());
  EXPECT_EQ(document_.at("openapi"), "3.1.0");
  std::multiset<std::string> from_routes;
  for (const auto& route : routes_) {
    from_routes.insert(lower(route.method) + " " + openapi_path(route.pattern));
  }
  std::multiset<std::string> from_document;
  for (const auto& [path, item] : document_.at("paths").items()) {
    for (const auto& [method, op] : item.items()) from_document.insert(method + " " + path);
  }
  EXPECT_EQ(from_document, from_routes);
  EXPECT_EQ(std::set<std::string>(from_routes.begin(), from_routes.end()).size(),
            from_routes.size())
      << "two routes share a method and path";
}

TEST_P(OpenApiTest, DescribesItselfAndBothSitesRoutesDiffer) {
  bool has_self = false;
  bool has_buffer = false;
  for (const auto& route : routes_) {
    has_self = has_self || (route.method == "GET" && route.pattern == "/openapi.json");
    has_buffer = has_buffer || route.pattern == "/buffer-stats";
  }
  EXPECT_TRUE(has_self);
  EXPECT_EQ(has_buffer, GetParam() == SiteType::secondary);
  EXPECT_EQ(operation(routes_.front()).at("responses").size() > 1, true);
}

TEST_P(OpenApiTest, DeclaresEveryPathParameterAndQueryParameter) {
  for (const auto& route : routes_) {
    const auto name = route.method + " " + route.pattern;
    std::set<std::string> path;
    std::set<std::string> query;
    for (const auto& p : operation(route).value("parameters", json::array())) {
      if (p.at("in") == "path") {
        EXPECT_EQ(p.at("required"), true) << name;
        path.insert(p.at("name").get<std::string>());
      }
      if (p.at("in") == "query") query.insert(p.at("name").get<std::string>());
      EXPECT_TRUE(p.contains("schema")) << name;
    }
    EXPECT_EQ(path, path_parameters_of(route.pattern)) << name;
    std::set<std::string> declared;
    for (const auto& q : route.query_params) declared.insert(q.name);
    // The router reads a WebSocket client's token from the query (browsers send no headers).
    if (route.websocket && route.role != Role::open) declared.insert("token");
    EXPECT_EQ(query, declared) << name;
  }
}

TEST_P(OpenApiTest, BodySchemasListTheRoutesFields) {
  for (const auto& route : routes_) {
    const auto name = route.method + " " + route.pattern;
    const auto& op = operation(route);
    if (route.body_fields.empty()) {
      EXPECT_FALSE(op.contains("requestBody")) << name;
      continue;
    }
    auto schema = op.at("requestBody").at("content").at("application/json").at("schema");
    if (route.body_is_array) {
      ASSERT_EQ(schema.at("type"), "array") << name;
      schema = schema.at("items");
    }
    ASSERT_EQ(schema.at("type"), "object") << name;
    std::set<std::string> required;
    for (const auto& f : schema.value("required", json::array())) required.insert(f);
    for (const auto& field : route.body_fields) {
      EXPECT_TRUE(schema.at("properties").contains(field.name)) << name << " " << field.name;
      EXPECT_EQ(required.count(field.name), field.required ? 1u : 0u) << name << " " << field.name;
    }
    EXPECT_EQ(schema.at("properties").size(), route.body_fields.size()) << name;
    EXPECT_TRUE(op.at("responses").contains("400")) << name;
    EXPECT_TRUE(op.at("responses").contains("422")) << name;
  }
}

// What Redocly's operation-2xx-response checked before WebSocket routes (answered 101) made it
// unusable (redocly.yaml): every other operation has a 2xx answer, and a WebSocket one has none.
TEST_P(OpenApiTest, EveryOperationButAWebSocketHasA2xxAnswer) {
  for (const auto& route : routes_) {
    bool has_2xx = false;
    for (const auto& [status, response] : operation(route).at("responses").items()) {
      has_2xx = has_2xx || (status.size() == 3 && status[0] == '2');
    }
    EXPECT_EQ(has_2xx, !route.websocket) << route.method << " " << route.pattern;
  }
}

TEST_P(OpenApiTest, SecuredRoutesNeedTheBearerAndOpenOnesNothing) {
  ASSERT_TRUE(document_.at("components").at("securitySchemes").contains("bearer"));
  for (const auto& route : routes_) {
    const auto name = route.method + " " + route.pattern;
    const auto& op = operation(route);
    const auto& responses = op.at("responses");
    EXPECT_TRUE(responses.contains(route.websocket ? "101" : std::to_string(route.success_status)))
        << name;
    if (route.role == Role::open) {
      EXPECT_EQ(op.at("security"), json::array()) << name;
      EXPECT_FALSE(op.contains("x-required-role")) << name;
      EXPECT_FALSE(responses.contains("401")) << name;
    } else {
      EXPECT_EQ(op.at("security"), json::parse(R"([{"bearer": []}])")) << name;
      EXPECT_EQ(op.at("x-required-role"), role_name(route.role)) << name;
      EXPECT_NE(op.at("description").get<std::string>().find(role_name(route.role)),
                std::string::npos)
          << name;
      EXPECT_TRUE(responses.contains("401") && responses.contains("403")) << name;
      EXPECT_TRUE(responses.contains("503")) << name;
    }
  }
}

TEST_P(OpenApiTest, EveryReferenceResolvesInsideTheDocument) {
  std::vector<std::pair<std::string, std::string>> refs;
  collect_refs(document_, "", refs);
  EXPECT_FALSE(refs.empty());
  for (const auto& [at, ref] : refs) {
    ASSERT_EQ(ref.rfind("#/", 0), 0u) << at << ": " << ref << " is not inside the document";
    EXPECT_TRUE(document_.contains(json::json_pointer(ref.substr(1))))
        << at << ": " << ref << " does not resolve";
  }
  EXPECT_TRUE(document_.at("components").at("schemas").contains("Error"));
}

TEST_P(OpenApiTest, OperationIdsAreUniqueAndStable) {
  std::set<std::string> ids;
  for (const auto& route : routes_) {
    const auto id = operation(route).at("operationId").get<std::string>();
    EXPECT_TRUE(ids.insert(id).second) << "duplicate operationId " << id;
  }
  EXPECT_EQ(openapi_operation_id("PUT", "/executed_obs_units/{id}/finish"),
            "put_executed_obs_units_id_finish");
  EXPECT_EQ(openapi_operation_id("POST", "/raw_data_files/"), "post_raw_data_files");
  EXPECT_EQ(openapi_operation_id("GET", "/api/transfer/raw-packages"),
            "get_api_transfer_raw_packages");
}

TEST_P(OpenApiTest, WriteRoutesTakeAnIdempotencyKey) {
  for (const auto& route : routes_) {
    bool has_key = false;
    for (const auto& p : operation(route).value("parameters", json::array())) {
      has_key = has_key || (p.at("in") == "header" && p.at("name") == "Idempotency-Key");
    }
    EXPECT_EQ(has_key, route.response_shape == "write_receipt" ||
                           route.response_shape == "bulk_write_receipt")
        << route.method << " " << route.pattern;
  }
}

INSTANTIATE_TEST_SUITE_P(BothSites, OpenApiTest,
                         ::testing::Values(SiteType::main, SiteType::secondary),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// OpenAPI has no WebSocket: a WebSocket route is its handshake, a GET answered 101, with the
// answers that refuse it and the query parameter that carries a browser's token.
TEST(OpenApiWebSocketTest, WebSocketRouteIsAGetAnswered101WithItsRefusals) {
  http::Route events;
  events.method = "GET";
  events.pattern = "/ws/events";
  events.role = Role::viewer;
  events.success_status = 101;
  events.summary = "Live events";
  events.response_shape = "event";
  events.websocket = true;
  events.query_params = {{"last_id", "string", "Resume after this event", false}};
  http::Route open = events;
  open.pattern = "/ws/open";
  open.role = Role::open;
  http::Route plain;
  plain.method = "GET";
  plain.pattern = "/plain";
  plain.role = Role::viewer;

  const auto document = openapi_document({events, open, plain}, SiteType::main, version());

  const auto& op = document.at("paths").at("/ws/events").at("get");
  EXPECT_NE(op.at("description").get<std::string>().find("WebSocket"), std::string::npos);
  EXPECT_NE(op.at("description").get<std::string>().find("viewer"), std::string::npos);
  const auto& responses = op.at("responses");
  EXPECT_TRUE(responses.contains("101"));
  EXPECT_FALSE(responses.contains("200"));
  EXPECT_FALSE(responses.at("101").contains("content"));
  for (const char* status : {"400", "401", "403", "426", "429"}) {
    ASSERT_TRUE(responses.contains(status)) << status;
    EXPECT_EQ(responses.at(status).at("content").at("application/json").at("schema").at("$ref"),
              "#/components/schemas/Error")
        << status;
  }
  std::map<std::string, json> query;
  for (const auto& p : op.at("parameters")) {
    if (p.at("in") == "query") query[p.at("name")] = p;
  }
  ASSERT_TRUE(query.count("token"));
  EXPECT_EQ(query.at("token").at("required"), false);
  EXPECT_TRUE(query.count("last_id"));

  const auto& open_op = document.at("paths").at("/ws/open").at("get");
  EXPECT_TRUE(open_op.at("responses").contains("426"));
  EXPECT_FALSE(open_op.at("responses").contains("401"));
  for (const auto& p : open_op.at("parameters")) EXPECT_NE(p.at("name"), "token");

  const auto& plain_responses = document.at("paths").at("/plain").at("get").at("responses");
  EXPECT_FALSE(plain_responses.contains("426"));
  EXPECT_FALSE(plain_responses.contains("101"));
}

// GET /openapi.json of a secondary site's route table.
std::optional<http::Response> served_openapi() {
  test::ApiHarness harness;
  http::Request request;
  request.method = "GET";
  request.path = "/openapi.json";
  return harness.dispatch(request);
}

// What GET /openapi.json serves is the document `ops-db-api openapi` prints for the site.
TEST(OpenApiRouteTest, ServesTheDocumentOfTheServersOwnTable) {
  auto answer = served_openapi();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->content_type, "application/json");
  EXPECT_EQ(json::parse(answer->body), openapi_for_site(Config{}, SiteType::secondary));
}

TEST(OpenApiRouteTest, ServedVersionIsTheServersVersion) {
  auto answer = served_openapi();
  ASSERT_TRUE(answer);
  EXPECT_EQ(json::parse(answer->body)["info"]["version"], std::string(version()));
  EXPECT_FALSE(version().empty());
}

}  // namespace
}  // namespace opsdb
