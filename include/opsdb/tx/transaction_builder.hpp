#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "opsdb/core/clock.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// Nesting a request body may have (objects and arrays inside each other).
inline constexpr std::size_t kDefaultMaxJsonDepth = 64;

/// Parses a request body as JSON; throws ApiError(bad_request) with the parser's position, for
/// nesting deeper than `max_depth`, or for a number no double can hold.
nlohmann::json parse_body(const std::string& body, std::size_t max_depth = kDefaultMaxJsonDepth);

/// A validated client write, ready to be executed or buffered.
struct BuiltWrite {
  Transaction tx;
  nlohmann::json response;  // what the client gets back besides transaction_id and status
};

/// Turns request bodies of the critical endpoints into transactions: validates every field
/// against the schema registry (types, required, unknown, enum values), generates the UUIDs of
/// everything it creates, and stamps times from the injected clock. Pure: no I/O.
/// Invalid input throws ApiError(bad_request) listing every problem in `details`.
class TransactionBuilder {
 public:
  TransactionBuilder(std::string site, const Clock& clock,
                     std::size_t max_json_depth = kDefaultMaxJsonDepth)
      : site_(std::move(site)), clock_(clock), max_json_depth_(max_json_depth) {}

  /// Parses a request body with this builder's nesting limit (see `parse_body`).
  nlohmann::json parse(const std::string& body) const { return parse_body(body, max_json_depth_); }

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
  std::size_t max_json_depth_;
};

/// Checks a path segment is a UUID and returns it normalised; throws ApiError(bad_request).
std::string path_uuid(const std::string& segment, const char* what);

}  // namespace opsdb
