#include "responses.hpp"

#include "opsdb/http/router.hpp"
#include "opsdb/query/record_normalization.hpp"

namespace opsdb {

http::Response json_response(int status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

void respond_error(const http::Respond& respond, const Error& error, Dependency dependency) {
  respond(http::error_response(to_api_error(error, dependency)));
}

Callback<std::optional<ReadStore::Record>> answer_record(http::Respond respond, const char* table,
                                                         std::string not_found) {
  return [respond = std::move(respond), table,
          not_found = std::move(not_found)](Result<std::optional<ReadStore::Record>> r) {
    if (!r.ok()) return respond_error(respond, r.error(), Dependency::database);
    if (!*r) return respond(http::error_response(ApiError(ErrorKind::not_found, not_found)));
    auto doc = std::move(**r);
    normalize_record(table, doc);
    respond(json_response(200, doc));
  };
}

}  // namespace opsdb
