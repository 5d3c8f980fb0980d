#pragma once

#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <string>

#include "opsdb/api/error_mapping.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/core/message_feed.hpp"
#include "opsdb/http/message.hpp"
#include "opsdb/query/smart_query.hpp"

namespace opsdb {

/// A JSON response with `status`.
http::Response json_response(int status, const nlohmann::json& body);

/// Answers with the error a failed port operation means for the client.
void respond_error(const http::Respond& respond, const Error& error, Dependency dependency);

/// Answers the failure of a change only the main database makes, never buffered (tokens,
/// observing programs): while it cannot be reached, a 503 saying "`changes` on the main
/// database, which cannot be reached now"; otherwise as `respond_error` for the database.
void respond_main_only_error(const http::Respond& respond, const Error& error,
                             const std::string& changes);

/// The header that tells a client a read could not consult the buffer, so writes still pending
/// at this site may be missing from it.
inline constexpr const char* kBufferHeader = "X-Opsdb-Buffer";

/// A read's JSON answer, marked with kBufferHeader when the buffer was unavailable.
http::Response read_response(const nlohmann::json& body, bool buffer_unavailable);

/// Answers a read of one record: 404 with `not_found` when there is none; a failure of the
/// database the read needed is blamed on `dependency`.
Callback<Read<std::optional<SmartQuery::Record>>> answer_record(http::Respond respond,
                                                                Dependency dependency,
                                                                std::string not_found);

/// A WebSocket client's feed, bounded as the configuration says (WS_QUEUE_MESSAGES,
/// WS_QUEUE_BYTES).
std::shared_ptr<MessageFeed> websocket_feed(const Config& config);

/// The answer that accepts a WebSocket upgrade: the connection then carries `feed`.
http::Response accept_websocket(std::shared_ptr<MessageFeed> feed);

}  // namespace opsdb
