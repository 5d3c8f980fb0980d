#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace opsdb {

/// How a feed asks its connection to end: a WebSocket close code (RFC 6455 §7.4) and a reason
/// for the client.
struct FeedClose {
  int code = 1000;
  std::string reason;
};

/// The messages waiting for one WebSocket client, filled by publishers on any thread and
/// emptied by the client's connection, without either knowing the other (the connection is
/// Beast's, the publishers are the domain's).
///
/// Bounded: a message that would take the queue past `max_messages` or `max_bytes` is not
/// queued; the feed drops what it holds and asks to close with 1013 (try again later) and a
/// reason naming the limit, so a slow client can never make the server hold more than its
/// limit for it, and learns that it missed messages (it reconnects and resumes). Thread-safe.
class MessageFeed {
 public:
  using Message = std::shared_ptr<const std::string>;

  struct Limits {
    std::size_t max_messages = 1024;
    std::size_t max_bytes = 4 * 1024 * 1024;
  };

  /// What the connection takes at once: the messages in order, then the close, if asked for.
  struct Batch {
    std::vector<Message> messages;
    std::optional<FeedClose> close;
  };

  explicit MessageFeed(Limits limits);

  /// Queues a message; false when the feed is closed or closes now because it is full.
  bool push(Message message);
  /// Asks the connection to close after the messages queued so far (the first call counts).
  void close(FeedClose close);
  /// Everything waiting; the next push after this wakes the connection again.
  Batch take();

  /// Sets the function called, on the publisher's thread and without the feed's lock held,
  /// when something is waiting and the connection has not been woken since its last take(),
  /// and once more when a close is asked for (a connection stuck in a write learns of it).
  /// It must only schedule the connection's work (post), never write. Called at once when
  /// something waits already.
  void on_ready(std::function<void()> wake);
  /// True once a close was asked for (by close() or because the feed overflowed), or the
  /// connection ended: the connection bounds how long it still waits for a stuck write.
  bool closing() const;
  /// The connection has ended: nothing is queued any more and `on_end` functions run (once).
  void end();
  /// Adds a function run when the connection ends (to unsubscribe, to stop a timer).
  void on_end(std::function<void()> done);
  bool ended() const;

 private:
  // Returns the wake function to call once the lock is released, or null. `urgent`: a close
  // was just asked for, which wakes the connection even if it was woken before.
  std::function<void()> arm_locked(bool urgent = false);

  const Limits limits_;
  mutable std::mutex mutex_;
  std::deque<Message> queue_;
  std::size_t bytes_ = 0;
  std::optional<FeedClose> close_;
  bool closing_ = false;  // close() called or limits exceeded: no more pushes
  bool ended_ = false;
  bool woken_ = false;  // the connection was woken and has not taken yet
  std::function<void()> wake_;
  std::vector<std::function<void()>> on_end_;
};

}  // namespace opsdb
