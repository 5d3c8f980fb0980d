#include "opsdb/events/event_hub.hpp"

#include <algorithm>
#include <utility>

namespace opsdb {

struct EventHub::Subscriber {
  std::weak_ptr<MessageFeed> feed;
  EventFilter filter;
  // While the log is read for a resuming subscriber, live events wait here (bounded).
  bool resuming = false;
  std::vector<std::pair<EventId, MessageFeed::Message>> held;
};

EventHub::EventHub(EventLog* log, std::size_t resume_limit)
    : log_(log), resume_limit_(resume_limit) {}

void EventHub::publish(const Event& event) {
  deliver(event);
  if (on_publish_) on_publish_();
}

void EventHub::publish_new(std::string_view payload, std::chrono::system_clock::time_point now) {
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  // Numbered and delivered under one lock, so events reach subscribers in the order of their ids.
  std::lock_guard lock(numbering_);
  last_new_ = ms > last_new_.ms ? EventId{ms, 0} : EventId{last_new_.ms, last_new_.seq + 1};
  if (auto event = Event::parse(last_new_, payload)) publish(*event);
}

void EventHub::deliver(const Event& event) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [&](const std::shared_ptr<Subscriber>& s) {
    auto feed = s->feed.lock();
    if (!feed || feed->ended()) return true;
    if (!s->filter.matches(event)) return false;
    if (!s->resuming) {
      feed->push(event.message);
      return false;
    }
    if (s->held.size() >= resume_limit_) {
      feed->close({1013, "too many events while resuming; reconnect"});
      return true;
    }
    s->held.emplace_back(event.id, event.message);
    return false;
  });
}

void EventHub::subscribe(std::shared_ptr<MessageFeed> feed, EventFilter filter,
                         std::optional<EventId> after) {
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->feed = feed;
  subscriber->filter = std::move(filter);
  subscriber->resuming = after.has_value();
  {
    std::lock_guard lock(mutex_);
    subscribers_.push_back(subscriber);
  }
  // Weak: a subscriber the hub dropped already (its feed closed) may be freed, and its address
  // taken by another one, before its feed ends.
  feed->on_end([this, weak = std::weak_ptr<Subscriber>(subscriber)] {
    if (auto alive = weak.lock()) remove(alive.get());
  });
  if (after) resume(std::move(subscriber), *after);
}

void EventHub::resume(std::shared_ptr<Subscriber> subscriber, EventId after) {
  if (log_ == nullptr) {
    return finish_resume(subscriber, after,
                         Error{Fault::unavailable, "this site keeps no recent events", ""});
  }
  log_->read_after(after, resume_limit_, [this, subscriber, after](Result<EventLog::Page> page) {
    finish_resume(subscriber, after, std::move(page));
  });
}

void EventHub::finish_resume(const std::shared_ptr<Subscriber>& subscriber, EventId after,
                             Result<EventLog::Page> page) {
  std::lock_guard lock(mutex_);
  auto feed = subscriber->feed.lock();
  if (!feed) return;
  EventId last = after;
  if (!page.ok()) {
    feed->push(gap_message(after.to_string(),
                           "the recent events could not be read: " + page.error().message));
  } else {
    if (page->gap) {
      feed->push(gap_message(after.to_string(), "events after it are no longer kept"));
    }
    for (const auto& event : page->events) {
      last = std::max(last, event.id);
      if (subscriber->filter.matches(event)) feed->push(event.message);
    }
    if (page->truncated) {
      feed->push(gap_message(last.to_string(), "more events were missed than are replayed (" +
                                                   std::to_string(resume_limit_) + ")"));
    }
  }
  // Live events the log had already (or that precede what it had) are not sent twice.
  for (auto& [id, message] : subscriber->held) {
    if (last < id) feed->push(std::move(message));
  }
  subscriber->held.clear();
  subscriber->resuming = false;
}

void EventHub::remove(const Subscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [&](const auto& s) { return s.get() == subscriber; });
}

std::size_t EventHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

}  // namespace opsdb
