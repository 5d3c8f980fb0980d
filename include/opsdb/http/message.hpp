#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace opsdb {
class MessageFeed;
}

namespace opsdb::http {

/// A parsed HTTP request, independent of Beast so handlers and their tests never see a socket.
struct Request {
  std::string method;                          // "GET", "POST", ... (upper case)
  std::string target;                          // raw request target, e.g. "/a/b?x=1"
  std::string path;                            // percent-decoded path without the query
  std::map<std::string, std::string> query;    // percent-decoded query parameters
  std::map<std::string, std::string> headers;  // header names lower-cased
  std::string body;

  /// Header value by lower-case name, or empty.
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

/// An HTTP response as plain data.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, ...)
  /// Set by the handler of a WebSocket route (with status 101) to accept the upgrade: the
  /// connection becomes a WebSocket that sends what the feed holds, as text messages, and
  /// closes when the feed asks. Any response without it is sent as plain HTTP instead (an
  /// error refuses the upgrade). The server ends the feed if it cannot take the client on.
  std::shared_ptr<opsdb::MessageFeed> feed{};
};

/// Completion callback of an asynchronous handler. May be called from any thread, exactly once;
/// the HTTP layer moves the response back onto the connection's strand.
using Respond = std::function<void(Response)>;

}  // namespace opsdb::http
