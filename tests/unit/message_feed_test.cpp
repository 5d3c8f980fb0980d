#include "opsdb/core/message_feed.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace opsdb {
namespace {

MessageFeed::Message text(std::string value) {
  return std::make_shared<const std::string>(std::move(value));
}

std::vector<std::string> texts(const MessageFeed::Batch& batch) {
  std::vector<std::string> result;
  for (const auto& message : batch.messages) result.push_back(*message);
  return result;
}

MessageFeed::Limits roomy() {
  return {.max_messages = 1000, .max_bytes = 1 << 20};
}

TEST(MessageFeedTest, TakeReturnsWhatWasPushedInOrderAndEmptiesTheFeed) {
  MessageFeed feed(roomy());

  EXPECT_TRUE(feed.push(text("a")));
  EXPECT_TRUE(feed.push(text("b")));
  EXPECT_TRUE(feed.push(text("c")));
  const auto first = feed.take();
  const auto second = feed.take();

  EXPECT_EQ(texts(first), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(first.close);
  EXPECT_TRUE(second.messages.empty());
  EXPECT_FALSE(second.close);
}

TEST(MessageFeedTest, WakesOnceUntilTheConnectionTakes) {
  MessageFeed feed(roomy());
  int wakes = 0;
  feed.on_ready([&] { ++wakes; });
  EXPECT_EQ(wakes, 0) << "nothing waits yet";

  feed.push(text("1"));
  feed.push(text("2"));
  EXPECT_EQ(wakes, 1);
  feed.take();
  feed.push(text("3"));

  EXPECT_EQ(wakes, 2);
}

TEST(MessageFeedTest, OnReadyWakesAtOnceWhenSomethingWaitsAlready) {
  MessageFeed feed(roomy());
  feed.push(text("early"));
  int wakes = 0;

  feed.on_ready([&] { ++wakes; });

  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(texts(feed.take()), std::vector<std::string>{"early"});
}

TEST(MessageFeedTest, WakeRunsWithoutTheFeedsLockHeld) {
  MessageFeed feed(roomy());
  bool closing_seen = true;
  // Would deadlock if the lock were held: the connection may look at the feed when woken.
  feed.on_ready([&] { closing_seen = feed.closing(); });

  feed.push(text("x"));

  EXPECT_FALSE(closing_seen);
}

TEST(MessageFeedTest, CloseComesAfterTheMessagesBeforeItAndLaterPushesAreRefused) {
  MessageFeed feed(roomy());
  feed.push(text("last words"));

  feed.close(FeedClose{1008, "x"});
  feed.close(FeedClose{1000, "second close is ignored"});
  const bool pushed_after = feed.push(text("too late"));
  const auto batch = feed.take();

  EXPECT_FALSE(pushed_after);
  EXPECT_EQ(texts(batch), std::vector<std::string>{"last words"});
  ASSERT_TRUE(batch.close);
  EXPECT_EQ(batch.close->code, 1008);
  EXPECT_EQ(batch.close->reason, "x");
  EXPECT_TRUE(feed.closing());
  EXPECT_FALSE(feed.take().close) << "the close is handed over once";
}

TEST(MessageFeedTest, OneMessageTooManyDropsEverythingAndAsksToCloseWith1013) {
  MessageFeed feed({.max_messages = 3, .max_bytes = 1 << 20});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(feed.push(text(std::to_string(i))));
  EXPECT_FALSE(feed.closing());

  EXPECT_FALSE(feed.push(text("overflow")));
  EXPECT_FALSE(feed.push(text("after")));
  const auto batch = feed.take();

  EXPECT_TRUE(batch.messages.empty()) << "what waited is stale: the client resumes instead";
  ASSERT_TRUE(batch.close);
  EXPECT_EQ(batch.close->code, 1013);
  EXPECT_NE(batch.close->reason.find("3 messages"), std::string::npos) << batch.close->reason;
  EXPECT_TRUE(feed.closing());
}

TEST(MessageFeedTest, TooManyBytesCloseTheFeedToo) {
  MessageFeed feed({.max_messages = 100, .max_bytes = 10});
  EXPECT_TRUE(feed.push(text("12345")));
  EXPECT_TRUE(feed.push(text("12345")));

  EXPECT_FALSE(feed.push(text("1")));
  const auto batch = feed.take();

  EXPECT_TRUE(batch.messages.empty());
  ASSERT_TRUE(batch.close);
  EXPECT_EQ(batch.close->code, 1013);
  EXPECT_NE(batch.close->reason.find("10 bytes"), std::string::npos) << batch.close->reason;
}

TEST(MessageFeedTest, TakingFreesRoomForMore) {
  MessageFeed feed({.max_messages = 2, .max_bytes = 1 << 20});
  for (int round = 0; round < 5; ++round) {
    EXPECT_TRUE(feed.push(text("a")));
    EXPECT_TRUE(feed.push(text("b")));
    EXPECT_EQ(feed.take().messages.size(), 2u);
  }
  EXPECT_FALSE(feed.closing());
}

// A connection stuck in a write was woken before and has not taken since: a close must still
// reach it, or it would never learn that it is to close.
TEST(MessageFeedTest, AskingToCloseWakesAConnectionThatWasWokenAlready) {
  MessageFeed feed({.max_messages = 2, .max_bytes = 1 << 20});
  int wakes = 0;
  feed.on_ready([&] { ++wakes; });
  feed.push(text("1"));
  ASSERT_EQ(wakes, 1);

  feed.push(text("2"));
  EXPECT_EQ(wakes, 1);
  feed.push(text("overflow"));
  EXPECT_EQ(wakes, 2);
  EXPECT_TRUE(feed.closing());

  MessageFeed closed_explicitly(roomy());
  int other_wakes = 0;
  closed_explicitly.on_ready([&] { ++other_wakes; });
  closed_explicitly.push(text("1"));
  closed_explicitly.close(FeedClose{1001, "bye"});
  EXPECT_EQ(other_wakes, 2);
}

TEST(MessageFeedTest, EndRunsOnEndFunctionsOnceAndStopsEverything) {
  MessageFeed feed(roomy());
  int wakes = 0;
  int ended = 0;
  feed.on_ready([&] { ++wakes; });
  feed.on_end([&] { ++ended; });
  feed.push(text("queued"));
  ASSERT_EQ(wakes, 1);
  feed.take();

  feed.end();
  feed.end();
  int late = 0;
  feed.on_end([&] { ++late; });
  const bool pushed = feed.push(text("after the end"));
  feed.close(FeedClose{1000, ""});

  EXPECT_EQ(ended, 1);
  EXPECT_EQ(late, 1) << "a function added after the end runs at once";
  EXPECT_FALSE(pushed);
  EXPECT_EQ(wakes, 1) << "an ended connection is not woken";
  EXPECT_TRUE(feed.ended());
  EXPECT_TRUE(feed.closing());
  const auto batch = feed.take();
  EXPECT_TRUE(batch.messages.empty());
}

TEST(MessageFeedTest, NullMessageIsRefused) {
  MessageFeed feed(roomy());
  EXPECT_FALSE(feed.push(nullptr));
  EXPECT_TRUE(feed.take().messages.empty());
  EXPECT_FALSE(feed.closing());
}

// Publishers on several threads and a connection taking whenever it is woken: nothing is lost,
// each publisher's messages stay in its order, and a wake is never missed.
TEST(MessageFeedTest, ConcurrentPublishersLoseNothingAndKeepTheirOrder) {
  constexpr int kPublishers = 4;
  constexpr int kEach = 2000;
  MessageFeed feed({.max_messages = kPublishers * kEach, .max_bytes = 1 << 24});
  std::mutex mutex;
  std::condition_variable woken;
  bool ready = false;
  feed.on_ready([&] {
    std::lock_guard lock(mutex);
    ready = true;
    woken.notify_one();
  });

  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&feed, p] {
      for (int i = 0; i < kEach; ++i) {
        feed.push(text(std::to_string(p) + ":" + std::to_string(i)));
      }
    });
  }
  std::vector<int> next(kPublishers, 0);
  int total = 0;
  while (total < kPublishers * kEach) {
    {
      std::unique_lock lock(mutex);
      ASSERT_TRUE(woken.wait_for(lock, std::chrono::seconds(5), [&] { return ready; }))
          << "a wake was missed after " << total << " messages";
      ready = false;
    }
    for (const auto& message : feed.take().messages) {
      const auto colon = message->find(':');
      const int p = std::stoi(message->substr(0, colon));
      EXPECT_EQ(std::stoi(message->substr(colon + 1)), next[p]++) << "publisher " << p;
      ++total;
    }
  }
  for (auto& t : publishers) t.join();
  EXPECT_EQ(total, kPublishers * kEach);
  EXPECT_FALSE(feed.closing());
}

}  // namespace
}  // namespace opsdb
