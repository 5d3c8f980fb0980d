#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace opsdb {

/// The small set of failures the API can report. Mapped to HTTP status codes in exactly one place
/// (`http_status`), so handlers and services never pick status codes themselves.
enum class ErrorKind {
  bad_request,         // malformed input: bad JSON, wrong types, missing/unknown fields
  unauthorized,        // no or invalid credentials
  forbidden,           // valid credentials, missing role
  not_found,           // the addressed resource does not exist
  method_not_allowed,  // the path exists, the method does not
  conflict,            // the request contradicts current state
  payload_too_large,   // body over the configured limit
  unprocessable,  // well-formed but refers to things that do not exist (unknown obs_unit_id...)
  unavailable,    // a dependency (database, Redis) cannot be reached right now
  internal,       // a bug or an unexpected failure
};

/// HTTP status code for an error kind.
int http_status(ErrorKind kind);

/// Stable machine-readable code for an error kind ("bad_request", "not_found", ...).
const char* error_code(ErrorKind kind);

/// An error meant for the client. `message` is shown to the client verbatim, so it must never
/// contain secrets or internal details such as SQL.
class ApiError : public std::runtime_error {
 public:
  /// `code` replaces the kind's code where one status covers answers a client must tell apart
  /// (a 503 "not_accepted" from a 503 "outcome_unknown").
  ApiError(ErrorKind kind, std::string message, nlohmann::json details = nullptr,
           std::string code = {})
      : std::runtime_error(std::move(message)),
        kind_(kind),
        details_(std::move(details)),
        code_(std::move(code)) {}

  ErrorKind kind() const { return kind_; }
  const nlohmann::json& details() const { return details_; }
  /// The machine-readable code of the answer.
  std::string code() const { return code_.empty() ? error_code(kind_) : code_; }

  /// The DESIGN §9 error document: {"error": {"code", "message", "details"}}.
  nlohmann::json to_json() const;

 private:
  ErrorKind kind_;
  nlohmann::json details_;
  std::string code_;
};

}  // namespace opsdb
