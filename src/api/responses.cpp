#include "responses.hpp"

#include "opsdb/http/router.hpp"

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

void respond_main_only_error(const http::Respond& respond, const Error& error,
                             const std::string& changes) {
  const bool unreachable = error.is(Fault::unavailable) || error.is(Fault::outcome_unknown);
  if (!unreachable || error.code == "busy")
    return respond_error(respond, error, Dependency::database);
  respond(http::error_response(ApiError(
      ErrorKind::unavailable, changes + " on the main database, which cannot be reached "
                                        "now; nothing else is affected; try again later")));
}

http::Response read_response(const nlohmann::json& body, bool buffer_unavailable) {
  auto response = json_response(200, body);
  if (buffer_unavailable) response.headers.emplace_back(kBufferHeader, "unavailable");
  return response;
}

Callback<Read<std::optional<SmartQuery::Record>>> answer_record(http::Respond respond,
                                                                Dependency dependency,
                                                                std::string not_found) {
  return [respond = std::move(respond), dependency,
          not_found = std::move(not_found)](Result<Read<std::optional<SmartQuery::Record>>> r) {
    if (!r.ok()) return respond_error(respond, r.error(), dependency);
    if (!r->value) return respond(http::error_response(ApiError(ErrorKind::not_found, not_found)));
    respond(read_response(*r->value, r->buffer_unavailable));
  };
}

std::shared_ptr<MessageFeed> websocket_feed(const Config& config) {
  return std::make_shared<MessageFeed>(
      MessageFeed::Limits{config.ws_queue_messages, config.ws_queue_bytes});
}

http::Response accept_websocket(std::shared_ptr<MessageFeed> feed) {
  http::Response response;
  response.status = 101;
  response.feed = std::move(feed);
  return response;
}

}  // namespace opsdb
