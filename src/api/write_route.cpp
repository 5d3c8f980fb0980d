#include "write_route.hpp"

#include <memory>

#include "opsdb/tx/idempotency.hpp"
#include "responses.hpp"

namespace opsdb {

namespace {

// A write whose fate is unknown names its transaction, so the client can ask about it.
http::Response write_error(const ApiError& error, const nlohmann::json& answer) {
  auto response = http::error_response(error);
  if (error.code() != kOutcomeUnknown) return response;
  auto document = error.to_json();
  document["transaction_id"] = answer["transaction_id"];
  response.body = json_response(response.status, document).body;
  return response;
}

}  // namespace

http::Route write_route(const ApiServices& s, http::Route contract, BuildWrite build) {
  const int status = contract.success_status;
  contract.handler = [&s, status, build = std::move(build)](
                         const http::RequestContext&, const http::Request& request,
                         const http::PathParams& params, http::Respond respond) {
    auto write = std::make_shared<BuiltWrite>(build(s.builder, request, params));
    if (const auto key = request.header("idempotency-key"); !key.empty()) {
      check_idempotency_key(key);
      make_idempotent(*write, s.config.site_name, key,
                      request_hash(request.method, request.path, request.body));
    }
    s.references.check(write->tx, [&s, write, respond, status](std::optional<ApiError> error) {
      if (error) return respond(http::error_response(*error));
      auto body = write->response;
      body["transaction_id"] = write->tx.id;
      s.writes.submit(std::move(*write),
                      [respond, body = std::move(body), status](WriteResult r) mutable {
                        if (r.error) return respond(write_error(*r.error, body));
                        body["status"] = r.status;
                        auto response = json_response(status, body);
                        if (r.replayed) response.headers.emplace_back(kReplayedHeader, "true");
                        respond(std::move(response));
                      });
    });
  };
  return contract;
}

nlohmann::json optional_body(const TransactionBuilder& builder, const http::Request& request) {
  return request.body.empty() ? nlohmann::json::object() : builder.parse(request.body);
}

}  // namespace opsdb
