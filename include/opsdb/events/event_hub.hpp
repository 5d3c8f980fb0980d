#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "opsdb/core/message_feed.hpp"
#include "opsdb/events/event.hpp"
#include "opsdb/events/event_filter.hpp"
#include "opsdb/events/event_log.hpp"

namespace opsdb {

/// Hands every event of the site to the subscribers that want it (the `/ws/events` clients of
/// this process), like a chat room: one feed per subscriber, each bounded on its own, so a slow
/// subscriber loses its feed (see MessageFeed) and never slows the others. Thread-safe;
/// `publish` is called by whatever reads the site's events, in their order.
class EventHub {
 public:
  /// `log` (may be null: no resume) answers subscribers that resume; at most `resume_limit`
  /// events are replayed to one, beyond that it gets a gap message instead.
  explicit EventHub(EventLog* log, std::size_t resume_limit);

  /// Delivers `event` to every matching subscriber.
  void publish(const Event& event);
  /// Numbers an event (as transaction_event() writes it) and delivers it: for a site without an
  /// events stream (the main site), whose events come from this process only. Ids keep rising
  /// within the process; `now` is the time they start from.
  void publish_new(std::string_view payload, std::chrono::system_clock::time_point now);

  /// Subscribes `feed` until it ends. With `after`, the events since then come first (from the
  /// log; a gap message when some are gone), then the live ones, none twice or out of order.
  void subscribe(std::shared_ptr<MessageFeed> feed, EventFilter filter,
                 std::optional<EventId> after = std::nullopt);

  std::size_t subscribers() const;

  /// Sets a function called after each event was handed out (to nudge what summarises the
  /// site); set before events flow.
  void on_publish(std::function<void()> hook) { on_publish_ = std::move(hook); }

 private:
  struct Subscriber;
  void deliver(const Event& event);
  void resume(std::shared_ptr<Subscriber> subscriber, EventId after);
  void finish_resume(const std::shared_ptr<Subscriber>& subscriber, EventId after,
                     Result<EventLog::Page> page);
  void remove(const Subscriber* subscriber);

  EventLog* log_;
  const std::size_t resume_limit_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  std::function<void()> on_publish_;
  std::mutex numbering_;
  EventId last_new_{};
};

}  // namespace opsdb
