#include "opsdb/api/openapi.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace opsdb {
namespace {

using Json = nlohmann::json;

Json ref(const std::string& schema) {
  return {{"$ref", "#/components/schemas/" + schema}};
}

Json nullable(const std::string& type) {
  return {{"type", Json::array({type, "null"})}};
}

Json string_format(const char* format) {
  return {{"type", "string"}, {"format", format}};
}

Json array_of(Json items) {
  return {{"type", "array"}, {"items", std::move(items)}};
}

const Json& uuid_schema() {
  static const Json schema = string_format("uuid");
  return schema;
}

const Json& time_schema() {
  static const Json schema = string_format("date-time");
  return schema;
}

Json nullable_time() {
  return {{"type", Json::array({"string", "null"})}, {"format", "date-time"}};
}

// The JSON Schema of a field type of the route table (BodyField::type, QueryParam::type).
Json type_schema(const std::string& type) {
  if (type == "uuid") return uuid_schema();
  if (type == "timestamp") return time_schema();
  if (type == "date") return string_format("date");
  if (type == "integer" || type == "number" || type == "string" || type == "object" ||
      type == "array" || type == "boolean") {
    return {{"type", type}};
  }
  return {{"description", "a value of type " + type}};
}

// What the elements of an array field are, where the builders say it.
Json body_field_schema(const http::BodyField& field) {
  auto schema = type_schema(field.type);
  if (field.type != "array") return schema;
  if (field.name == "raw_data_file_ids") schema["items"] = uuid_schema();
  if (field.name == "source_ids") schema["items"] = {{"type", "integer"}, {"minimum", 1}};
  if (field.name == "instrument_module_configurations") schema["items"] = {{"type", "object"}};
  return schema;
}

std::vector<std::string> segments(const std::string& pattern) {
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (at < pattern.size()) {
    const auto slash = pattern.find('/', at);
    const auto end = slash == std::string::npos ? pattern.size() : slash;
    if (end > at) parts.push_back(pattern.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

bool is_parameter(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The first path segment names the resource; /api/... routes are named by the segment after.
std::string tag_of(const std::string& pattern) {
  const auto parts = segments(pattern);
  if (parts.empty()) return "root";
  if (parts[0] == "api" && parts.size() > 1 && !is_parameter(parts[1])) return parts[1];
  return parts[0];
}

// What a path segment holds, as the handlers parse it.
Json path_parameter_schema(const std::string& pattern, const std::string& name) {
  const auto tag = tag_of(pattern);
  if (name == "tx_id") return uuid_schema();
  if (name == "prefix") return {{"type", "string"}, {"pattern", "^[0-9a-f]{12}$"}};
  if (tag == "executed_obs_units") {
    if (pattern == "/executed_obs_units/{id}") {
      // A UUID is one observation; an integer is the older "observations of this obs_unit".
      return {
          {"anyOf", Json::array({uuid_schema(),
                                 {{"type", "integer"}, {"minimum", 1}, {"maximum", 999999999}}})}};
    }
    return uuid_schema();
  }
  if (tag == "raw_data_files" || tag == "raw_data_package") return uuid_schema();
  if (tag == "sources" || tag == "visibility") {
    return {{"type", "integer"}, {"format", "int64"}, {"minimum", 1}};
  }
  if (tag == "observing_program" || tag == "transfer") {
    return {{"type", "integer"}, {"format", "int32"}, {"minimum", 1}};
  }
  return {{"type", "string"}};
}

std::string path_parameter_description(const std::string& pattern, const std::string& name) {
  if (name == "tx_id") return "The transaction id a write receipt gave";
  if (name == "prefix") return "The token's prefix, as token listings show it";
  if (pattern == "/executed_obs_units/{id}") {
    return "An observation's UUID, or an obs_unit id (integer) for its observations";
  }
  return "The " + name + " of the " + tag_of(pattern) + " record";
}

// A write route (write_route.cpp) answers with a write receipt and honours Idempotency-Key.
bool is_write_route(const http::Route& route) {
  return route.response_shape == "write_receipt" || route.response_shape == "bulk_write_receipt";
}

Json error_schema() {
  return {
      {"type", "object"},
      {"description",
       "Every error the API answers: a 4xx or 5xx status with this document. A write whose "
       "outcome is unknown also names its transaction_id, to ask GET /transactions/{tx_id} "
       "about."},
      {"required", Json::array({"error"})},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", Json::array({"code", "message"})},
          {"properties",
           {{"code",
             {{"type", "string"},
              {"description",
               "bad_request, unauthorized, forbidden, not_found, method_not_allowed, "
               "conflict, payload_too_large, unprocessable, unavailable or internal; a "
               "few errors carry a more specific code"}}},
            {"message", {{"type", "string"}, {"description", "For people"}}},
            {"details",
             {{"type", Json::array({"object", "null"})},
              {"description", "Facts about the error, by name (reason, limit_bytes, ...)"}}}}}}},
        {"transaction_id", uuid_schema()}}}};
}

Json page_schema(const std::string& items, const std::string& description) {
  return {{"type", "object"},
          {"description", description},
          {"required", Json::array({"items", "count", "next_cursor"})},
          {"properties",
           {{"items", array_of({{"type", "object"}, {"description", items}})},
            {"count", {{"type", "integer"}, {"description", "Items in this page"}}},
            {"next_cursor",
             {{"type", Json::array({"string", "null"})},
              {"description", "Pass as cursor for the next page; null on the last page"}}}}}};
}

Json object(const std::string& description, Json properties = Json::object(),
            std::vector<std::string> required = {}) {
  Json schema{{"type", "object"}, {"description", description}};
  if (!properties.empty()) schema["properties"] = std::move(properties);
  if (!required.empty()) schema["required"] = required;
  return schema;
}

Json site_schema() {
  return object("The telescope's site", {{"latitude_deg", {{"type", "number"}}},
                                         {"longitude_deg", {{"type", "number"}}},
                                         {"altitude_m", {{"type", "number"}}}});
}

Json token_properties() {
  return {{"prefix", {{"type", "string"}}},
          {"display", {{"type", "string"}}},
          {"name", {{"type", "string"}}},
          {"user", {{"type", "string"}}},
          {"scopes", array_of({{"type", "string"}})},
          {"created_at", time_schema()},
          {"expires_at", nullable_time()},
          {"last_used_at", nullable_time()},
          {"is_active", {{"type", "boolean"}}}};
}

// The documents successful answers carry, by response_shape: the fields the code that writes
// them names; records of the database (their columns) are objects with a description.
std::map<std::string, Json> known_shapes() {
  const Json status = {{"type", "string"},
                       {"enum", Json::array({"buffered", "applied", "journaled"})},
                       {"description",
                        "applied: in the main database; buffered: in the site's buffer, to be "
                        "applied; journaled: in the site's local journal while the buffer is "
                        "unavailable"}};
  std::map<std::string, Json> shapes;
  shapes["write_receipt"] = object(
      "The transaction of an accepted write",
      {{"transaction_id", uuid_schema()},
       {"status", status},
       {"id", {{"type", "string"}, {"format", "uuid"}, {"description", "The record written"}}},
       {"executed_obs_unit_id", uuid_schema()},
       {"instrument_module_configuration_ids", array_of(uuid_schema())}},
      {"transaction_id", "status", "id"});
  shapes["bulk_write_receipt"] = object("The transaction of an accepted bulk registration",
                                        {{"transaction_id", uuid_schema()},
                                         {"status", status},
                                         {"count", {{"type", "integer"}}},
                                         {"ids", array_of(uuid_schema())}},
                                        {"transaction_id", "status", "count", "ids"});
  shapes["executed_obs_unit"] = object("One observation (executed_obs_unit), as stored");
  shapes["executed_obs_unit_page"] =
      page_schema("An observation (executed_obs_unit)", "Observations, newest first");
  shapes["executed_obs_unit_or_page"] = {
      {"description", "One observation for a UUID; a page of observations for an obs_unit id"},
      {"anyOf", Json::array({ref("executed_obs_unit"), ref("executed_obs_unit_page")})}};
  shapes["raw_data_file"] = object("One raw data file, as stored");
  shapes["raw_data_package"] = object("One raw data package with its files, as stored");
  shapes["health"] = object(
      "Health of the site; the sections of a secondary site (buffer, drain, replication) are "
      "present at the main site too, with fixed values",
      {{"status", {{"type", "string"}}},
       {"database", {{"type", "string"}}},
       {"site", {{"type", "string"}}},
       {"site_type", {{"type", "string"}, {"enum", Json::array({"main", "secondary"})}}},
       {"problems", array_of({{"type", "string"}})},
       {"alerts", {{"type", "array"}}},
       {"checked_at", time_schema()},
       {"last_check", nullable_time()},
       {"redis", {{"type", "string"}}},
       {"main_database", {{"type", "string"}}},
       {"transaction_buffer", {{"type", "object"}}},
       {"journal", {{"type", "object"}}},
       {"background_processor", {{"type", "object"}}},
       {"replication_lag", {{"type", "object"}}},
       {"replication", {{"type", Json::array({"object", "null"})}}}},
      {"status", "database", "site", "site_type", "checked_at"});
  shapes["buffer_stats"] = object("Depth of the transaction buffer and the drain's rate",
                                  {{"pending_transactions", {{"type", "integer"}}},
                                   {"failed_transactions", {{"type", "integer"}}},
                                   {"awaiting_replication", {{"type", "integer"}}},
                                   {"oldest_pending_seconds", nullable("number")},
                                   {"buffer_size_mb", {{"type", "number"}}},
                                   {"processing_rate", {{"type", "number"}}},
                                   {"average_execution_time_ms", {{"type", "number"}}},
                                   {"processor_status", {{"type", "string"}}}});
  shapes["transaction_status"] = object("State of one buffered transaction",
                                        {{"transaction_id", uuid_schema()},
                                         {"state", {{"type", "string"}}},
                                         {"attempts", {{"type", "integer"}}},
                                         {"lsn", nullable("string")},
                                         {"error", nullable("string")},
                                         {"origin", nullable("string")},
                                         {"created_at", nullable("string")},
                                         {"applied_at", nullable("string")},
                                         {"replicated_at", nullable("string")},
                                         {"resolution", nullable("string")},
                                         {"location", nullable("string")}},
                                        {"transaction_id", "state"});
  shapes["failed_transaction_list"] =
      object("The dead-letter queue, newest first",
             {{"items", array_of(object("A transaction the drain gave up on",
                                        {{"transaction_id", uuid_schema()},
                                         {"transaction", {{"type", "object"}}},
                                         {"error", {{"type", "string"}}},
                                         {"attempts", {{"type", "integer"}}},
                                         {"failed_at", {{"type", "string"}}}}))},
              {"count", {{"type", "integer"}}}},
             {"items", "count"});
  shapes["dead_letter_outcome"] =
      object("What became of a failed transaction",
             {{"transaction_id", uuid_schema()},
              {"status", {{"type", "string"}, {"enum", Json::array({"buffered", "resolved"})}}}},
             {"transaction_id", "status"});
  shapes["source_page"] =
      page_schema("A source", "Sources by name, or nearest first in a cone search");
  shapes["source"] = object("One source of the catalogue, as stored");
  shapes["source_details"] = object("One source with the obs units that observe it");
  Json source_summary = object("The source", {{"id", {{"type", "integer"}}},
                                              {"name", {{"type", "string"}}},
                                              {"ra_deg", nullable("number")},
                                              {"dec_deg", nullable("number")}});
  shapes["source_night"] = object(
      "A source through one night at the telescope",
      {{"source", source_summary},
       {"site", site_schema()},
       {"date", string_format("date")},
       {"step_minutes", {{"type", "integer"}}},
       {"night", object("The night", {{"start", time_schema()}, {"end", time_schema()}})},
       {"kind",
        {{"type", "string"}, {"enum", Json::array({"rises_and_sets", "always_up", "never_up"})}}},
       {"rise", nullable_time()},
       {"set", nullable_time()},
       {"transit", time_schema()},
       {"max_elevation_deg", {{"type", "number"}}},
       {"samples", array_of(object("One sample", {{"time", time_schema()},
                                                  {"elevation_deg", {{"type", "number"}}},
                                                  {"azimuth_deg", {{"type", "number"}}}}))},
       {"refraction", {{"type", "string"}}},
       {"cached", {{"type", "boolean"}}}});
  shapes["visibility_heatmap"] = object(
      "Elevations of sources: one row per night, one column per time of night",
      {{"site", site_schema()},
       {"start", string_format("date")},
       {"days", {{"type", "integer"}}},
       {"step_minutes", {{"type", "integer"}}},
       {"times_of_night",
        {{"type", "array"},
         {"items", {{"type", "integer"}}},
         {"description", "Minutes since the start of each night"}}},
       {"sources",
        array_of(object(
            "One source",
            {{"source_id", {{"type", "integer"}}},
             {"name", {{"type", "string"}}},
             {"days",
              array_of(object("One night", {{"date", string_format("date")},
                                            {"night_start", time_schema()},
                                            {"max_elevation_deg", {{"type", "number"}}},
                                            {"elevations", array_of({{"type", "number"}})}}))}}))},
       {"refraction", {{"type", "string"}}},
       {"nights_computed", {{"type", "integer"}}},
       {"nights_already_cached", {{"type", "integer"}}}});
  shapes["visibility_precalculated"] =
      object("The nights computed and cached", {{"source_ids", array_of({{"type", "integer"}})},
                                                {"start", string_format("date")},
                                                {"days", {{"type", "integer"}}},
                                                {"step_minutes", {{"type", "integer"}}},
                                                {"nights_computed", {{"type", "integer"}}},
                                                {"nights_already_cached", {{"type", "integer"}}}});
  shapes["source_chip"] =
      object("A source's card",
             {{"id", {{"type", "integer"}}},
              {"name", {{"type", "string"}}},
              {"type", {{"type", "string"}}},
              {"ra_deg", nullable("number")},
              {"dec_deg", nullable("number")},
              {"ra_hms", nullable("string")},
              {"dec_dms", nullable("string")},
              {"tonight",
               {{"type", Json::array({"object", "null"})},
                {"description", "Tonight at the telescope; null when not computed for this source"},
                {"properties",
                 {{"date", string_format("date")},
                  {"max_elevation_deg", {{"type", "number"}}},
                  {"transit", time_schema()},
                  {"kind", {{"type", "string"}}}}}}}});
  shapes["program_page"] =
      page_schema("An observing program with its counts", "Observing programs by id");
  shapes["program"] = object("One observing program with its sub-programs and obs units");
  shapes["transfer_overview"] = object(
      "Raw data packages by state and status, transfers by status, active transfers, and the "
      "buffer's counts at a secondary site",
      {{"computed_at", time_schema()}, {"buffer", {{"type", Json::array({"object", "null"})}}}});
  shapes["package_page"] =
      page_schema("A raw data package with its file count and size", "Raw data packages");
  shapes["data_transfer"] = object("One data transfer, as stored");
  shapes["caller"] = object("Who the credentials belong to",
                            {{"user", {{"type", "string"}}},
                             {"roles", array_of({{"type", "string"}})},
                             {"auth_method", {{"type", "string"}}},
                             {"subject", {{"type", "string"}}},
                             {"token_prefix", {{"type", "string"}}}},
                            {"user", "roles", "auth_method"});
  shapes["token_scopes"] =
      object("The roles a token can carry",
             {{"scopes", array_of(object("A role", {{"name", {{"type", "string"}}},
                                                    {"description", {{"type", "string"}}},
                                                    {"grantable", {{"type", "boolean"}}}}))}});
  shapes["token"] = object("An API token, without the token itself", token_properties());
  auto issued = token_properties();
  issued["token"] = {{"type", "string"}, {"description", "The token; shown only in this answer"}};
  issued["warning"] = {{"type", "string"}};
  shapes["issued_token"] = object("A new API token", issued, {"token", "prefix"});
  shapes["token_list"] = object("The caller's API tokens", {{"tokens", array_of(ref("token"))}});
  shapes["openapi_document"] = object("An OpenAPI 3.1 document");
  return shapes;
}

bool is_text_shape(const std::string& shape) {
  return shape == "prometheus_text";
}

bool is_html_shape(const std::string& shape) {
  return shape.starts_with("html") || shape.ends_with("_html");
}

// Files of the documentation pages: scripts, styles and images.
bool is_file_shape(const std::string& shape) {
  return shape == "docs_asset";
}

Json error_response(const std::string& description) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
}

Json success_response(const http::Route& route, const std::set<std::string>& described) {
  const auto& shape = route.response_shape;
  Json response{{"description", shape.empty() ? std::string("Success") : "The " + shape}};
  if (is_text_shape(shape)) {
    response["content"] = {{"text/plain", {{"schema", {{"type", "string"}}}}}};
  } else if (is_html_shape(shape)) {
    response["content"] = {{"text/html", {{"schema", {{"type", "string"}}}}}};
  } else if (is_file_shape(shape)) {
    response["content"] = {{"*/*", {{"schema", {{"type", "string"}}}}}};
  } else if (!shape.empty()) {
    response["content"] = {
        {"application/json", {{"schema", described.count(shape) ? ref(shape) : ref("Document")}}}};
  }
  if (is_write_route(route)) {
    response["headers"] = {
        {"Idempotent-Replayed",
         {{"description",
           "true when this answers a retry: the original answer, nothing written "
           "again"},
          {"schema", {{"type", "string"}, {"enum", Json::array({"true"})}}}}}};
  }
  return response;
}

Json parameters(const http::Route& route) {
  Json list = Json::array();
  for (const auto& segment : segments(route.pattern)) {
    if (!is_parameter(segment)) continue;
    const auto name = segment.substr(1, segment.size() - 2);
    list.push_back({{"name", name},
                    {"in", "path"},
                    {"required", true},
                    {"description", path_parameter_description(route.pattern, name)},
                    {"schema", path_parameter_schema(route.pattern, name)}});
  }
  if (route.websocket && route.role != Role::open) {
    list.push_back({{"name", "token"},
                    {"in", "query"},
                    {"required", false},
                    {"description",
                     "The bearer token, for clients that cannot set the Authorization header "
                     "(browsers): read only when that header is absent"},
                    {"schema", {{"type", "string"}}}});
  }
  for (const auto& q : route.query_params) {
    Json parameter{{"name", q.name},
                   {"in", "query"},
                   {"required", q.required},
                   {"schema", type_schema(q.type)}};
    if (!q.description.empty()) parameter["description"] = q.description;
    list.push_back(std::move(parameter));
  }
  if (is_write_route(route)) {
    list.push_back(
        {{"name", "Idempotency-Key"},
         {"in", "header"},
         {"required", false},
         {"description",
          "1 to 255 visible ASCII characters: a retry with the same key and request is answered "
          "with the original answer, and nothing is written twice"},
         {"schema", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}}});
  }
  return list;
}

Json request_body(const http::Route& route) {
  Json fields{{"type", "object"}};
  Json properties = Json::object();
  Json required = Json::array();
  for (const auto& field : route.body_fields) {
    properties[field.name] = body_field_schema(field);
    if (field.required) required.push_back(field.name);
  }
  fields["properties"] = std::move(properties);
  if (!required.empty()) fields["required"] = required;
  Json schema = route.body_is_array ? Json{{"type", "array"}, {"items", std::move(fields)}}
                                    : std::move(fields);
  return {{"required", route.body_is_array || !required.empty()},
          {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
}

bool has_path_parameters(const http::Route& route) {
  const auto parts = segments(route.pattern);
  return std::any_of(parts.begin(), parts.end(), is_parameter);
}

// OpenAPI cannot describe a WebSocket: its handshake is described as the GET it starts with.
Json switching_protocols(const http::Route& route) {
  const auto& shape = route.response_shape;
  return {{"description",
           "Switching Protocols: the connection is a WebSocket from here on, and the server sends "
           "text messages" +
               (shape.empty() ? std::string() : ", each a " + shape + " document")}};
}

Json responses(const http::Route& route, const std::set<std::string>& described) {
  Json answers = Json::object();
  if (route.websocket) {
    answers["101"] = switching_protocols(route);
    answers["426"] = error_response(
        "Not a WebSocket handshake (Upgrade: websocket, Connection: Upgrade); the answer "
        "carries Upgrade: websocket");
    answers["429"] = error_response(
        "As many WebSocket clients as the server takes are connected; try again after "
        "Retry-After seconds");
  } else {
    answers[std::to_string(route.success_status)] = success_response(route, described);
  }
  const bool body = !route.body_fields.empty();
  answers["400"] = error_response(
      body || !route.query_params.empty() || has_path_parameters(route)
          ? "The request is malformed, or a path segment, query parameter or body field is "
            "invalid"
          : "The request is malformed");
  if (route.role != Role::open) {
    answers["401"] = error_response("No credentials, or credentials that are not valid");
    answers["403"] = error_response("The credentials do not carry the role this route needs");
  }
  if (has_path_parameters(route)) answers["404"] = error_response("No such record");
  if (body) {
    answers["413"] = error_response("The body is larger than the server accepts");
    answers["422"] = error_response(
        "The body is well-formed but refers to records that do not exist, or "
        "breaks a rule of the data");
  }
  if (route.response_shape == "health") {
    // /health answers 503 with the same document when the site is unhealthy.
    answers["503"] = success_response(route, described);
    answers["503"]["description"] = "The site is unhealthy: the health document says why";
  }
  if (route.role != Role::open || route.response_shape == "buffer_stats") {
    answers["503"] = error_response("A database or the buffer this route needs is unavailable");
  }
  return answers;
}

std::string role_text(Role role) {
  return role_name(role);
}

// Names of the schemas `node` refers to.
void referenced_schemas(const Json& node, std::set<std::string>& names) {
  static const std::string prefix = "#/components/schemas/";
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string() && value.get<std::string>().starts_with(prefix)) {
        names.insert(value.get<std::string>().substr(prefix.size()));
      }
      referenced_schemas(value, names);
    }
  } else if (node.is_array()) {
    for (const auto& item : node) referenced_schemas(item, names);
  }
}

}  // namespace

std::string openapi_path(const std::string& pattern) {
  if (pattern.size() > 1 && pattern.back() == '/') return pattern.substr(0, pattern.size() - 1);
  return pattern;
}

std::string openapi_operation_id(const std::string& method, const std::string& pattern) {
  std::string id;
  for (char c : method) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool separator = true;
  for (char c : pattern) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (separator) id += '_';
      id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      separator = false;
    } else {
      separator = true;
    }
  }
  return id;
}

nlohmann::json openapi_document(const std::vector<http::Route>& routes, SiteType site,
                                std::string_view version) {
  auto shapes = known_shapes();
  std::set<std::string> described;
  for (const auto& [name, schema] : shapes) described.insert(name);

  Json paths = Json::object();
  std::set<std::string> tags;
  for (const auto& route : routes) {
    std::string method;
    for (char c : route.method) method += static_cast<char>(std::tolower(c));
    const auto tag = tag_of(route.pattern);
    tags.insert(tag);
    Json operation{
        {"operationId", openapi_operation_id(route.method, route.pattern)},
        {"summary", route.summary.empty() ? route.method + " " + route.pattern : route.summary},
        {"tags", Json::array({tag})},
        {"responses", responses(route, described)}};
    if (route.role == Role::open) {
      operation["description"] = "Open: no credentials needed.";
      operation["security"] = Json::array();
    } else {
      operation["description"] =
          std::string("Requires the role ") + role_text(route.role) + " (or a stronger one).";
      operation["security"] = Json::array({{{"bearer", Json::array()}}});
      operation["x-required-role"] = role_text(route.role);
    }
    if (route.websocket) {
      operation["description"] =
          "A WebSocket (RFC 6455): connect with GET and Upgrade: websocket; the server sends "
          "JSON text messages, pings a silent client and closes with 1013 a client that reads "
          "too slowly (reconnect and resume) and with 1001 when it shuts down. " +
          operation["description"].get<std::string>();
    }
    auto params = parameters(route);
    if (!params.empty()) operation["parameters"] = std::move(params);
    if (!route.body_fields.empty()) operation["requestBody"] = request_body(route);
    paths[openapi_path(route.pattern)][method] = std::move(operation);
  }

  // The schemas the operations refer to, and those they refer to in turn; no others.
  shapes["Error"] = error_schema();
  shapes["Document"] = object("A JSON document this description does not detail");
  std::set<std::string> wanted;
  referenced_schemas(paths, wanted);
  Json schemas = Json::object();
  while (!wanted.empty()) {
    const auto name = *wanted.begin();
    wanted.erase(wanted.begin());
    if (schemas.contains(name) || !shapes.count(name)) continue;
    referenced_schemas(shapes[name], wanted);
    schemas[name] = std::move(shapes[name]);
  }

  Json tag_list = Json::array();
  for (const auto& tag : tags) {
    tag_list.push_back({{"name", tag}, {"description", "Routes under /" + tag}});
  }
  const std::string site_name = to_string(site);
  return {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "ops-db-api (" + site_name + " site)"},
        {"version", std::string(version)},
        {"summary", "The operations-database API of the observatory"},
        {"description",
         "The routes a " + site_name +
             " site serves, generated from its route table. Errors are answered with the "
             "Error document. Routes that require a role take an API token or an HS256 JWT "
             "as a bearer token."}}},
      {"servers", Json::array({{{"url", "/"}, {"description", "This server"}}})},
      {"tags", std::move(tag_list)},
      {"paths", std::move(paths)},
      {"components",
       {{"schemas", std::move(schemas)},
        {"securitySchemes",
         {{"bearer",
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description",
             "An API token (ops-db-api token create, or POST /api/tokens) or an HS256 JWT"}}}}}}}};
}

}  // namespace opsdb
