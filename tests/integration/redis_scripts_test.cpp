// The buffer's Lua scripts against the real Redis: they keep working after Redis forgot them
// (SCRIPT FLUSH, as after a restart), and their guards hold — an applied batch is removed only
// while it is still the oldest and the lease is held; a dead letter is taken by one operator.
// Each test uses a site name of its own and deletes its keys afterwards.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <thread>

#include "opsdb/buffer/redis_dead_letters.hpp"
#include "opsdb/buffer/redis_drain_queue.hpp"
#include "opsdb/buffer/redis_event_stream.hpp"
#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/buffer/redis_replication_queue.hpp"
#include "opsdb/buffer/redis_write_buffer.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/events/event.hpp"
#include "opsdb/redis/redis_client.hpp"
#include "opsdb/tx/transaction_builder.hpp"
#include "support/redis_probe.hpp"
#include "support/stack.hpp"
#include "support/step_scheduler.hpp"

namespace opsdb::test {
namespace {

// Calls `start` with a callback and waits for the result it is given.
template <typename T, typename Start>
Result<T> await(Start start) {
  std::promise<Result<T>> promise;
  start([&promise](Result<T> r) { promise.set_value(std::move(r)); });
  auto future = promise.get_future();
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return Error{Fault::internal, "no answer within 10 s", ""};
  }
  return future.get();
}

class RedisScriptsTest : public ::testing::Test {
 protected:
  RedisScriptsTest() : work_(boost::asio::make_work_guard(io_)), client_(io_, client_options()) {}

  void SetUp() override {
    thread_ = std::thread([this] { io_.run(); });
    client_.start();
    for (int i = 0; i < 200 && !client_.connected(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(client_.connected()) << "cannot reach the stack's Redis";
  }

  void TearDown() override {
    probe_.delete_matching(keys_.prefix() + "*");
    client_.stop();
    work_.reset();
    thread_.join();
  }

  static BufferOptions buffer_options() {
    BufferOptions o;
    o.site_name = "scripts-" + new_uuid().substr(0, 8);
    o.lease_identity = "test-host:1";
    o.status_ttl = std::chrono::seconds(60);
    o.lsn_tracking_enabled = true;
    return o;
  }

  static redis::RedisOptions client_options() { return stack_redis_options(); }

  // Makes Redis forget every loaded script, as a restart does.
  void forget_scripts() { probe_.command({"SCRIPT", "FLUSH"}); }

  Transaction enqueue() {
    auto tx = builder_.start_observation({{"obs_unit_id", 1}}).tx;
    auto r = await<void>([&](auto done) { writes_.enqueue(tx, done); });
    EXPECT_TRUE(r.ok()) << r.error().message;
    return tx;
  }

  std::vector<std::string> peek(std::size_t count) {
    auto r = await<std::vector<std::string>>(
        [&](auto done) { drain_.peek_oldest(0, count, 1 << 30, done); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<std::string>{};
  }

  std::string state(const std::string& tx_id) {
    return probe_.command({"HGET", keys_.status(tx_id), "state"}).str;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  redis::RedisClient client_;
  std::thread thread_;
  RedisProbe probe_;
  SystemClock clock_;
  ManualClock manual_clock_;
  TransactionBuilder builder_{"observatory", clock_};
  const BufferOptions options_ = buffer_options();
  RedisKeys keys_{options_.site_name};
  RedisWriteBuffer writes_{client_, options_};
  RedisDrainQueue drain_{client_, options_, clock_};
  RedisReplicationQueue replication_{client_, options_, clock_};
  RedisDeadLetters dead_letters_{client_, options_, clock_};
};

// Two rounds: the first loads every script, the second finds each forgotten (NOSCRIPT).
TEST_F(RedisScriptsTest, BufferOperationsWorkAfterRedisForgotTheScripts) {
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    forget_scripts();
    auto held = await<bool>([&](auto done) { drain_.acquire_lease(done); });
    ASSERT_TRUE(held.ok()) << held.error().message;
    EXPECT_TRUE(*held);

    auto tx = enqueue();
    const auto record = keys_.record("executed_obs_unit", tx.steps[0].row["id"]);
    EXPECT_TRUE(probe_.exists(record));
    forget_scripts();
    auto applied = await<void>(
        [&](auto done) { drain_.mark_applied(peek(1), {tx.id}, Lsn(0x1'0000'0000), done); });
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_EQ(probe_.llen(keys_.buffer()), 0);
    EXPECT_EQ(state(tx.id), "applied");
    EXPECT_EQ(probe_.zcard(keys_.awaiting_replication()), 1);
    EXPECT_TRUE(probe_.exists(record)) << "tracked: the cache lives until the replica has it";

    forget_scripts();
    auto replicated = await<void>([&](auto done) { replication_.mark_replicated({tx.id}, done); });
    ASSERT_TRUE(replicated.ok()) << replicated.error().message;
    EXPECT_EQ(state(tx.id), "replicated");
    EXPECT_FALSE(probe_.exists(record));
    EXPECT_EQ(probe_.zcard(keys_.awaiting_replication()), 0);

    forget_scripts();
    auto released = await<void>([&](auto done) { drain_.release_lease(done); });
    ASSERT_TRUE(released.ok()) << released.error().message;
    EXPECT_FALSE(probe_.exists(keys_.processor_lock()));
  }
}

TEST_F(RedisScriptsTest, MarkAppliedRefusesABatchThatIsNoLongerTheOldest) {
  ASSERT_TRUE(await<bool>([&](auto done) { drain_.acquire_lease(done); }).ok());
  auto first = enqueue();
  auto second = enqueue();
  auto batch = peek(1);
  ASSERT_EQ(batch.size(), 1u);
  // Someone else took the oldest transaction off the buffer: the batch is no longer the tail.
  probe_.command({"RPOP", keys_.buffer()});
  auto applied =
      await<void>([&](auto done) { drain_.mark_applied(batch, {first.id}, Lsn(0x10), done); });
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().fault, Fault::conflict) << applied.error().message;
  EXPECT_EQ(probe_.llen(keys_.buffer()), 1) << "the buffer must be left as it was";
  EXPECT_EQ(state(first.id), "buffered");
  EXPECT_EQ(state(second.id), "buffered");
  EXPECT_EQ(probe_.zcard(keys_.awaiting_replication()), 0);
}

TEST_F(RedisScriptsTest, MarkAppliedRefusesWithoutTheLease) {
  ASSERT_TRUE(await<bool>([&](auto done) { drain_.acquire_lease(done); }).ok());
  auto tx = enqueue();
  auto batch = peek(1);
  probe_.command({"SET", keys_.processor_lock(), "another-host:1"});
  auto applied =
      await<void>([&](auto done) { drain_.mark_applied(batch, {tx.id}, Lsn(0x10), done); });
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().fault, Fault::conflict) << applied.error().message;
  EXPECT_EQ(probe_.llen(keys_.buffer()), 1);
  EXPECT_EQ(state(tx.id), "buffered");
  auto released = await<void>([&](auto done) { drain_.release_lease(done); });
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(probe_.command({"GET", keys_.processor_lock()}).str, "another-host:1")
      << "a lease held by another process is not released";
}

// Two rounds: the first loads every script, the second finds each forgotten (NOSCRIPT).
TEST_F(RedisScriptsTest, ADeadLetterIsReplayedOnceEvenAfterRedisForgotTheScripts) {
  ASSERT_TRUE(await<bool>([&](auto done) { drain_.acquire_lease(done); }).ok());
  auto tx = enqueue();
  const auto record = keys_.record("executed_obs_unit", tx.steps[0].row["id"]);
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    forget_scripts();
    auto moved = await<void>(
        [&](auto done) { drain_.dead_letter(peek(1).at(0), tx.id, "rejected", 3, done); });
    ASSERT_TRUE(moved.ok()) << moved.error().message;
    EXPECT_EQ(probe_.llen(keys_.buffer()), 0);
    EXPECT_EQ(probe_.llen(keys_.failed()), 1);
    EXPECT_EQ(state(tx.id), "failed");
    EXPECT_FALSE(probe_.exists(record)) << "a dead letter's caches go with it";

    forget_scripts();
    auto replayed = await<void>([&](auto done) { dead_letters_.replay(tx.id, done); });
    ASSERT_TRUE(replayed.ok()) << replayed.error().message;
    EXPECT_EQ(probe_.llen(keys_.buffer()), 1);
    EXPECT_EQ(probe_.llen(keys_.failed()), 0);
    EXPECT_EQ(probe_.command({"HLEN", keys_.failed_by_id()}).integer, 0)
        << "the lookup by id forgets a replayed dead letter";
    EXPECT_EQ(state(tx.id), "buffered");
    EXPECT_TRUE(probe_.exists(record)) << "a replay writes the caches again";

    auto again = await<void>([&](auto done) { dead_letters_.replay(tx.id, done); });
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().fault, Fault::not_found);
    EXPECT_EQ(probe_.llen(keys_.buffer()), 1) << "replayed once only";
  }
}

// Every state change leaves its event in the stream, in order and in one format, whether the
// C++ side (enqueue, replay, resolve) or a script (applied, replicated, failed) wrote it.
TEST_F(RedisScriptsTest, EveryStateChangeAddsItsEventToTheStream) {
  auto held = await<bool>([&](auto done) { drain_.acquire_lease(done); });
  ASSERT_TRUE(held.ok() && *held);
  auto tx = enqueue();
  ASSERT_TRUE(await<void>([&](auto done) {
                drain_.mark_applied(peek(1), {tx.id}, Lsn(0x1'0000'0010), done);
              }).ok());
  ASSERT_TRUE(await<void>([&](auto done) { replication_.mark_replicated({tx.id}, done); }).ok());
  auto bad = enqueue();
  ASSERT_TRUE(await<void>([&](auto done) {
                drain_.dead_letter(peek(1).at(0), bad.id, "rejected: \"quoted\"", 3, done);
              }).ok());
  ASSERT_TRUE(await<void>([&](auto done) { dead_letters_.replay(bad.id, done); }).ok());
  ASSERT_TRUE(await<void>([&](auto done) {
                drain_.dead_letter(peek(1).at(0), bad.id, "rejected again", 3, done);
              }).ok());
  ASSERT_TRUE(
      await<void>([&](auto done) { dead_letters_.resolve(bad.id, "duplicate", done); }).ok());

  auto entries = probe_.command({"XRANGE", keys_.events(), "-", "+"});
  std::vector<std::pair<std::string, std::string>> seen;  // kind, transaction
  std::optional<EventId> previous;
  for (const auto& entry : entries.elements) {
    auto id = EventId::parse(entry.elements.at(0).str);
    ASSERT_TRUE(id);
    if (previous) EXPECT_LT(*previous, *id);
    previous = id;
    auto event = Event::parse(*id, entry.elements.at(1).elements.at(1).str);
    ASSERT_TRUE(event) << entry.elements.at(1).elements.at(1).str;
    seen.emplace_back(event->kind, event->transaction_id);
    // The subject the enqueue wrote comes with every event of the transaction.
    EXPECT_EQ(event->table, "executed_obs_unit") << *event->message;
    EXPECT_FALSE(event->record_ids.empty()) << *event->message;
    auto message = nlohmann::json::parse(*event->message);
    EXPECT_EQ(message.value("origin", ""), "POST /executed_obs_units/start");
    if (event->kind == "applied") {
      EXPECT_EQ(message["lsn"], "1/10");
    } else if (event->kind == "failed") {
      EXPECT_TRUE(message["error"].is_string()) << *event->message;
    } else if (event->kind == "resolved") {
      EXPECT_EQ(message["reason"], "duplicate");
    }
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"buffered", tx.id},
                                                                    {"applied", tx.id},
                                                                    {"replicated", tx.id},
                                                                    {"buffered", bad.id},
                                                                    {"failed", bad.id},
                                                                    {"replayed", bad.id},
                                                                    {"buffered", bad.id},
                                                                    {"failed", bad.id},
                                                                    {"resolved", bad.id}}));
}

// What a resuming subscriber is given: the events after its position, and whether some of them
// are gone already (trimmed) or more follow than it may be sent.
TEST_F(RedisScriptsTest, RecentEventsAreReadFromAPositionAndSayWhenSomeAreGone) {
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    ids.push_back(
        probe_
            .command({"XADD", keys_.events(), "MAXLEN", "~", "10", "*", "e",
                      R"({"event":"buffered","transaction_id":"t)" + std::to_string(i) + R"("})"})
            .str);
  }
  EventHub hub(nullptr, 10);
  test::StepScheduler scheduler(manual_clock_);
  RedisEventStream stream(client_, client_, options_, hub, scheduler, clock_);
  auto read = [&](const std::string& after, std::size_t limit) {
    auto page = await<EventLog::Page>(
        [&](auto done) { stream.read_after(*EventId::parse(after), limit, done); });
    EXPECT_TRUE(page.ok());
    return page.ok() ? *page : EventLog::Page{};
  };
  auto recent = read(ids[297], 10);
  ASSERT_EQ(recent.events.size(), 2u);
  EXPECT_EQ(recent.events[0].transaction_id, "t298");
  EXPECT_EQ(recent.events[1].transaction_id, "t299");
  EXPECT_FALSE(recent.gap);
  EXPECT_FALSE(recent.truncated);

  auto trimmed = read(ids[0], 1000);
  EXPECT_TRUE(trimmed.gap) << "the first events were trimmed (MAXLEN)";
  ASSERT_FALSE(trimmed.events.empty());
  EXPECT_EQ(trimmed.events.back().transaction_id, "t299");

  auto limited = read(ids[290], 3);
  EXPECT_TRUE(limited.truncated);
  ASSERT_EQ(limited.events.size(), 3u);
  EXPECT_EQ(limited.events[0].transaction_id, "t291");
}

}  // namespace
}  // namespace opsdb::test
