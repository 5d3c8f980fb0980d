#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "opsdb/core/clock.hpp"
#include "opsdb/core/json_text.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// What a request body may hold (HTTP_JSON_MAX_DEPTH, HTTP_JSON_MAX_STRING, BULK_MAX_FILES).
struct BodyLimits {
  std::size_t max_depth = 64;           // objects and arrays inside each other
  std::size_t max_string = 64 * 1024;   // bytes of one string or key
  std::size_t max_bulk_files = 10'000;  // elements of a bulk registration
};

/// Parses a request body strictly (see `parse_json_strict`): a body that is not JSON, not UTF-8,
/// holds a key twice, a number no double can hold, or exceeds `limits` is an ApiError
/// (bad_request) whose message and `details.problems` name the field at fault.
nlohmann::json parse_body(const std::string& body, const JsonLimits& limits = {});

/// A validated client write, ready to be executed or buffered.
struct BuiltWrite {
  Transaction tx;
  nlohmann::json response;  // what the client gets back besides transaction_id and status
  /// Set when the client sent an Idempotency-Key (see idempotency.hpp): the hash of its request.
  std::optional<std::string> request_hash{};
};

/// Turns request bodies of the critical endpoints into transactions: validates every field
/// against the schema registry (types, required, unknown, enum values), generates the UUIDs of
/// everything it creates, and stamps times from the injected clock. Pure: no I/O.
/// Invalid input throws ApiError(bad_request) listing every problem in `details`.
class TransactionBuilder {
 public:
  TransactionBuilder(std::string site, const Clock& clock, BodyLimits limits = {})
      : site_(std::move(site)), clock_(clock), limits_(limits) {}

  /// Parses a request body with this builder's limits (see `parse_body`).
  nlohmann::json parse(const std::string& body) const;

  /// Parses the body of a bulk registration: as `parse`, and an array of more than
  /// `max_bulk_files` elements is refused (payload_too_large) as soon as the parser reaches it.
  nlohmann::json parse_files(const std::string& body) const;

  BuiltWrite start_observation(const nlohmann::json& body) const;
  BuiltWrite finish_observation(const std::string& id, const nlohmann::json& body) const;
  BuiltWrite change_status(const std::string& id, const nlohmann::json& body) const;
  BuiltWrite add_instrument_configuration(const std::string& id, const nlohmann::json& body) const;
  BuiltWrite register_file(const nlohmann::json& body) const;
  BuiltWrite register_files(const nlohmann::json& body) const;
  BuiltWrite create_package(const nlohmann::json& body) const;
  BuiltWrite finalize_package(const std::string& id, const nlohmann::json& body) const;

 private:
  Transaction new_transaction(std::string origin) const;

  std::string site_;
  const Clock& clock_;
  BodyLimits limits_;
};

/// Checks a path segment is a UUID and returns it normalised; throws ApiError(bad_request).
std::string path_uuid(const std::string& segment, const char* what);

}  // namespace opsdb
