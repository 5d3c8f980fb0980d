#pragma once

namespace opsdb::http {

/// A connection the server tracks so that it can end it: an HTTP session, or the WebSocket
/// session an HTTP session became.
class Connection {
 public:
  virtual ~Connection() = default;

  /// Graceful stop, from any thread: whatever the connection still owes its client is finished
  /// (an HTTP response in flight, a WebSocket close handshake), then it closes.
  virtual void stop() = 0;

  /// Closes the connection now, from any thread, whatever it is doing.
  virtual void abort() = 0;
};

}  // namespace opsdb::http
