#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "opsdb/api/routes.hpp"
#include "opsdb/http/router.hpp"

namespace opsdb {

/// Builds the transaction of one critical endpoint from its request.
using BuildWrite = std::function<BuiltWrite(const TransactionBuilder&, const http::Request&,
                                            const http::PathParams&)>;

/// The header of an answer to a retry (same Idempotency-Key, same request): the original answer,
/// nothing written again.
inline constexpr const char* kReplayedHeader = "Idempotent-Replayed";

/// A critical endpoint: `contract` with the one handler every critical endpoint shares —
/// validate and build (with ids derived from an Idempotency-Key when the request has one) →
/// check references → execute or buffer → answer with the contract's success status.
http::Route write_route(const ApiServices& services, http::Route contract, BuildWrite build);

/// Body of a request whose fields are all optional: an empty body means no fields.
nlohmann::json optional_body(const TransactionBuilder& builder, const http::Request& request);

}  // namespace opsdb
