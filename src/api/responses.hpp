#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "opsdb/api/error_mapping.hpp"
#include "opsdb/http/message.hpp"
#include "opsdb/query/read_store.hpp"

namespace opsdb {

/// A JSON response with `status`.
http::Response json_response(int status, const nlohmann::json& body);

/// Answers with the error a failed port operation means for the client.
void respond_error(const http::Respond& respond, const Error& error, Dependency dependency);

/// Answers a read of one record of `table`: 404 with `not_found` when there is none.
Callback<std::optional<ReadStore::Record>> answer_record(http::Respond respond, const char* table,
                                                         std::string not_found);

}  // namespace opsdb
