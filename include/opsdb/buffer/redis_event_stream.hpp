#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include "opsdb/buffer/buffer_options.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/events/event_hub.hpp"
#include "opsdb/events/event_log.hpp"
#include "opsdb/processor/scheduler.hpp"

namespace opsdb::redis {
class RedisClient;
}

namespace opsdb {

/// The site's events stream in Redis (RedisKeys::events), read two ways:
/// - followed from its end on a connection of its own (XREAD BLOCK), every new event handed to
///   the hub, so the subscribers of every process of the site see every event, whichever
///   process caused it (a write, the drain, an operator). After a lost connection or a Redis
///   restart it goes on from the last event it handed over: nothing the stream still holds is
///   skipped and its subscribers need not reconnect;
/// - read from a position for a subscriber that resumes (EventLog).
class RedisEventStream final : public EventLog {
 public:
  /// `follower` is used for nothing else (its XREAD blocks for up to `kBlock`, so its command
  /// timeout must be longer); `redis` answers resumes. All must outlive the stream.
  RedisEventStream(redis::RedisClient& redis, redis::RedisClient& follower,
                   const BufferOptions& options, EventHub& hub, Scheduler& scheduler,
                   const Clock& clock);

  /// How long one XREAD waits for new events.
  static constexpr std::chrono::milliseconds kBlock{1'000};

  /// How far before start() following begins: events of the last moments before, on a clock
  /// that may be a little behind Redis's, are not missed (nobody subscribed before start()).
  static constexpr std::chrono::milliseconds kStartBefore{5'000};

  /// Starts following the stream from the time it is called (less kStartBefore), whether or
  /// not Redis answers yet: an event written while the follower connects is not skipped.
  void start();
  /// Stops following (the XREAD under way completes on its own).
  void stop();

  void read_after(EventId after, std::size_t limit, Callback<Page> done) override;

 private:
  void follow();
  void retry_later();

  redis::RedisClient& redis_;
  redis::RedisClient& follower_;
  RedisKeys keys_;
  EventHub& hub_;
  Scheduler& scheduler_;
  const Clock& clock_;
  std::atomic<bool> running_{false};
  // Only touched by the follower's callbacks, one at a time.
  std::optional<EventId> last_;
  bool followed_ = false;  // an XREAD was answered once
  // Expires with the stream: what the follower's last callback checks.
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);
  bool lost_ = false;
};

}  // namespace opsdb
