#include "opsdb/buffer/redis_event_stream.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/redis/redis_client.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {
namespace {

// Events read by one XREAD at most.
constexpr std::size_t kFollowBatch = 512;
constexpr std::chrono::milliseconds kRetryDelay{250};

// One stream entry ([id, [field, value, ...]]) as an event; null when it is not one.
std::optional<Event> entry_event(const redis::Reply& entry) {
  if (entry.elements.size() != 2) return std::nullopt;
  auto id = EventId::parse(entry.elements[0].str);
  if (!id) return std::nullopt;
  const auto& fields = entry.elements[1].elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str == "e") return Event::parse(*id, fields[i + 1].str);
  }
  return std::nullopt;
}

}  // namespace

RedisEventStream::RedisEventStream(redis::RedisClient& redis, redis::RedisClient& follower,
                                   const BufferOptions& options, EventHub& hub,
                                   Scheduler& scheduler, const Clock& clock)
    : redis_(redis),
      follower_(follower),
      keys_(options.site_name),
      hub_(hub),
      scheduler_(scheduler),
      clock_(clock) {}

void RedisEventStream::start() {
  const auto from = std::chrono::duration_cast<std::chrono::milliseconds>(
                        (clock_.now() - kStartBefore).time_since_epoch())
                        .count();
  last_ = EventId{static_cast<std::uint64_t>(std::max<std::int64_t>(from, 0)), 0};
  running_ = true;
  scheduler_.after(std::chrono::milliseconds{0}, [this] { follow(); });
}

void RedisEventStream::stop() {
  running_ = false;
}

void RedisEventStream::retry_later() {
  scheduler_.after(kRetryDelay, [this] { follow(); });
}

void RedisEventStream::follow() {
  if (!running_) return;
  follower_.command(
      {"XREAD", "COUNT", std::to_string(kFollowBatch), "BLOCK", std::to_string(kBlock.count()),
       "STREAMS", keys_.events(), last_->to_string()},
      [this, alive = std::weak_ptr<void>(alive_)](redis::Result r) {
        // The XREAD is always under way: at shutdown its callback may come (disconnected)
        // from the client's teardown, after this stream is gone.
        if (alive.expired()) return;
        if (!r.ok()) {
          // Before the first answer the connection is still being made; the client says so.
          if (followed_ && !lost_) {
            lost_ = true;
            spdlog::warn(
                "events stream not followed: {}; /ws/events subscribers get events "
                "again once Redis answers",
                redis::to_error(r).message);
          }
          return retry_later();
        }
        followed_ = true;
        if (lost_) {
          lost_ = false;
          spdlog::info("events stream followed again from event {}", last_->to_string());
        }
        // Nil: nothing new within the block time. Else [[key, [entry...]]].
        for (const auto& stream : r.reply.elements) {
          if (stream.elements.size() != 2) continue;
          for (const auto& entry : stream.elements[1].elements) {
            auto event = entry_event(entry);
            if (auto id =
                    entry.elements.empty() ? std::nullopt : EventId::parse(entry.elements[0].str)) {
              last_ = std::max(*last_, *id);
            }
            if (event) hub_.publish(*event);
          }
        }
        follow();
      });
}

void RedisEventStream::read_after(EventId after, std::size_t limit, Callback<Page> done) {
  redis_.pipeline(
      {{"XRANGE", keys_.events(), "(" + after.to_string(), "+", "COUNT", std::to_string(limit + 1)},
       {"XRANGE", keys_.events(), "-", "+", "COUNT", "1"}},
      [after, limit, done = std::move(done)](redis::Result r) {
        if (!r.ok()) return done(redis::to_error(r));
        Page page;
        const auto& entries = r.reply.elements.at(0).elements;
        for (const auto& entry : entries) {
          if (page.events.size() == limit) {
            page.truncated = true;
            break;
          }
          if (auto event = entry_event(entry)) page.events.push_back(std::move(*event));
        }
        // The oldest event kept is later than the position: what lay between is trimmed.
        const auto& first = r.reply.elements.at(1).elements;
        if (!first.empty() && !first[0].elements.empty()) {
          auto oldest = EventId::parse(first[0].elements[0].str);
          page.gap = oldest && after < *oldest;
        }
        done(std::move(page));
      });
}

}  // namespace opsdb
