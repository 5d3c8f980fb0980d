#pragma once

// Classes of bad request bodies and the critical endpoints they are sent to: one table for the
// unit test through the route table and the integration test against a running server.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/tx/transaction_builder.hpp"

namespace opsdb::test {

/// A critical endpoint with a valid body, and where in that body a bad value goes.
struct Endpoint {
  std::string method;
  std::string target;
  nlohmann::json valid;
  std::string text_field;                // a field that holds a string ("[0].name" in bulk)
  std::optional<std::string> int_field;  // an integer field, if the endpoint has one
  std::string int_too_big;               // just beyond that field's column type
};

/// One class of bad input: the body it makes of an endpoint's valid one (nullopt: does not
/// apply to that endpoint), and what the client must get back.
struct BadInput {
  std::string name;
  std::function<std::optional<std::string>(const Endpoint&)> body;
  int status = 400;
  std::string code = "bad_request";
  /// What the message must contain: the field at fault, where there is one.
  std::function<std::string(const Endpoint&)> names;
};

/// Small limits, so each one is easy to cross (HTTP_JSON_MAX_DEPTH=8, HTTP_JSON_MAX_STRING=64,
/// BULK_MAX_FILES=3).
inline constexpr BodyLimits kHostileLimits{.max_depth = 8, .max_string = 64, .max_bulk_files = 3};

/// The eight critical endpoints of DESIGN §9.
std::vector<Endpoint> critical_endpoints();

/// Every class of bad body, against `kHostileLimits`.
std::vector<BadInput> bad_inputs();

}  // namespace opsdb::test
