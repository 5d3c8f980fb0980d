// Integration tests of the asynchronous Redis client against a real redis-server, whose address
// comes from REDIS_HOST / REDIS_PORT (default 127.0.0.1:6379) and REDIS_PASSWORD (if it needs
// one). Keys are namespaced per process and deleted afterwards; nothing is flushed. Some tests
// pause or kill connections: CLIENT PAUSE affects every client of the server for up to 1.2 s.
// RedisClientFaultTest (the reliability tier) also blackholes the Redis port, which needs root.

#include "opsdb/redis/redis_client.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/fault.hpp"
#include "support/wait.hpp"

namespace opsdb::redis {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

RedisOptions server_options() {
  RedisOptions options;
  options.host = env_or("REDIS_HOST", "127.0.0.1");
  options.port = static_cast<std::uint16_t>(std::stoi(env_or("REDIS_PORT", "6379")));
  options.password = env_or("REDIS_PASSWORD", "");
  return options;
}

long long elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// Polls every 5 ms: the deadlines under test are tens of milliseconds.
::testing::AssertionResult eventually(const std::function<bool()>& condition,
                                      std::chrono::milliseconds limit, std::string_view what) {
  return test::wait_until(condition, limit, what, 5ms);
}

/// Records what the client logs, to check levels and that secrets stay out of the log.
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Line {
    spdlog::level::level_enum level;
    std::string text;
  };

  std::vector<Line> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

  int count(spdlog::level::level_enum level) {
    int n = 0;
    for (const auto& line : lines()) {
      n += line.level == level ? 1 : 0;
    }
    return n;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size())});
  }
  void flush_() override {}

 private:
  std::vector<Line> lines_;
};

/// A plain blocking hiredis connection for the test's own checks and for disturbing the
/// client (CLIENT KILL, CLIENT PAUSE). Blocking is fine on the test thread.
class AdminConnection {
 public:
  using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;

  explicit AdminConnection(const RedisOptions& options) {
    const timeval timeout{2, 0};
    context_ = redisConnectWithTimeout(options.host.c_str(), options.port, timeout);
    if (context_ == nullptr || context_->err != 0) {
      redisFree(context_);
      throw std::runtime_error("cannot reach redis at " + options.host + ":" +
                               std::to_string(options.port) + " (set REDIS_HOST/REDIS_PORT)");
    }
    if (!options.password.empty()) {
      auto reply = run({"AUTH", options.password});
      if (reply->type == REDIS_REPLY_ERROR) {
        redisFree(context_);
        throw std::runtime_error("AUTH failed (check REDIS_PASSWORD)");
      }
    }
  }
  ~AdminConnection() { redisFree(context_); }
  AdminConnection(const AdminConnection&) = delete;
  AdminConnection& operator=(const AdminConnection&) = delete;

  ReplyPtr run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    void* reply =
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data());
    if (reply == nullptr) {
      throw std::runtime_error(std::string("admin connection failed: ") + context_->errstr);
    }
    return ReplyPtr(static_cast<redisReply*>(reply), freeReplyObject);
  }

  std::string text(const std::vector<std::string>& args) {
    auto reply = run(args);
    return reply->str != nullptr ? std::string(reply->str, reply->len) : std::string();
  }

 private:
  redisContext* context_ = nullptr;
};

class RedisClientTest : public ::testing::Test {
 protected:
  RedisClientTest()
      : sink_(std::make_shared<CaptureSink>()),
        previous_logger_(spdlog::default_logger()),
        admin_(server_options()) {
    // Installed before any io thread exists: spdlog's default logger is not swapped safely
    // while others log.
    auto logger = std::make_shared<spdlog::logger>("redis_client_test", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }

  ~RedisClientTest() override { spdlog::set_default_logger(previous_logger_); }

  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
  }

  void TearDown() override {
    // Every client of the test is gone by now. io_context::run() returning proves that the
    // client left no timer, wait or reconnect loop behind.
    work_.reset();
    auto done = std::async(std::launch::async, [this] {
      for (auto& thread : threads_) {
        thread.join();
      }
    });
    if (done.wait_for(5s) != std::future_status::ready) {
      ADD_FAILURE() << "the io_context still had work 5 s after the clients were destroyed";
      io_.stop();
      done.wait();
    }
    for (const auto& name : keys_) {
      admin_.run({"DEL", name});
    }
    EXPECT_EQ(sink_->count(spdlog::level::err), 0) << "a callback threw or ran twice";
  }

  RedisOptions options() const { return server_options(); }

  std::string key(const std::string& name) {
    keys_.push_back("test:redis_client:" + std::to_string(::getpid()) + ":" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":" + name);
    return keys_.back();
  }

  static void wait_connected(RedisClient& client) {
    ASSERT_TRUE(eventually([&] { return client.connected(); }, 5s, "the client to connect"))
        << "client never connected";
  }

  /// Sends one command and waits for its callback.
  static Result call(RedisClient& client, std::vector<std::string> args,
                     std::chrono::milliseconds limit = 5s) {
    auto promise = std::make_shared<std::promise<Result>>();
    auto future = promise->get_future();
    client.command(std::move(args), [promise](Result result) { promise->set_value(result); });
    if (future.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << "callback did not run";
      return Result{RedisErrc::timeout, "test gave up", {}};
    }
    return future.get();
  }

  /// Sends one command without waiting; the future gets its result and when it came.
  static std::future<std::pair<Result, Clock::time_point>> send(RedisClient& client,
                                                                std::vector<std::string> args) {
    auto promise = std::make_shared<std::promise<std::pair<Result, Clock::time_point>>>();
    auto future = promise->get_future();
    client.command(std::move(args), [promise](Result r) {
      promise->set_value({std::move(r), Clock::now()});
    });
    return future;
  }

  static Result call_transaction(RedisClient& client,
                                 std::vector<std::vector<std::string>> commands,
                                 bool pipeline = false) {
    auto promise = std::make_shared<std::promise<Result>>();
    auto future = promise->get_future();
    auto deliver = [promise](Result result) { promise->set_value(result); };
    if (pipeline) {
      client.pipeline(std::move(commands), deliver);
    } else {
      client.transaction(std::move(commands), deliver);
    }
    if (future.wait_for(5s) != std::future_status::ready) {
      ADD_FAILURE() << "callback did not run";
      return Result{RedisErrc::timeout, "test gave up", {}};
    }
    return future.get();
  }

  /// Asks the client's own connection for its id, so that only it gets killed.
  static std::string client_id(RedisClient& client) {
    Result id = call(client, {"CLIENT", "ID"});
    EXPECT_TRUE(id.ok()) << id.message;
    return std::to_string(id.reply.integer);
  }

  /// Waits until the server reports the connection `id` inside a blocking command.
  void wait_blocked(const std::string& id) {
    ASSERT_TRUE(eventually(
        [&] {
          return admin_.text({"CLIENT", "LIST", "ID", id}).find("cmd=blpop") != std::string::npos;
        },
        2s, "the BLPOP to block on the server"));
  }

  std::shared_ptr<CaptureSink> sink_;
  std::shared_ptr<spdlog::logger> previous_logger_;
  AdminConnection admin_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::vector<std::thread> threads_;
  std::vector<std::string> keys_;
};

TEST_F(RedisClientTest, SetThenGetReturnsTheValue) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key("k");

  Result set = call(client, {"SET", k, "hello"});
  ASSERT_TRUE(set.ok()) << set.message;
  EXPECT_EQ(set.reply.type, Reply::Type::status);
  EXPECT_EQ(set.reply.str, "OK");

  Result get = call(client, {"GET", k});
  ASSERT_TRUE(get.ok()) << get.message;
  EXPECT_EQ(get.reply.type, Reply::Type::string);
  EXPECT_EQ(get.reply.str, "hello");

  Result missing = call(client, {"GET", key("missing")});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing.reply.is_nil());
}

TEST_F(RedisClientTest, ValuesAndKeysAreBinarySafe) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key(std::string("nul\0key", 7));
  const std::string value("a\0b\r\n$3\r\n\xff\x00z", 13);

  ASSERT_TRUE(call(client, {"SET", k, value}).ok());
  Result get = call(client, {"GET", k});
  ASSERT_TRUE(get.ok()) << get.message;
  EXPECT_EQ(get.reply.str.size(), value.size());
  EXPECT_EQ(get.reply.str, value);
  EXPECT_EQ(call(client, {"STRLEN", k}).reply.integer, 13);
}

TEST_F(RedisClientTest, TenThousandPipelinedIncrsAllCompleteInOrder) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key("counter");
  constexpr int kCount = 10'000;

  std::mutex mutex;
  std::vector<long long> seen;
  seen.reserve(kCount);
  std::atomic<int> failures{0};
  std::promise<void> all_done;
  for (int i = 0; i < kCount; ++i) {
    client.command({"INCR", k}, [&](Result result) {
      std::lock_guard lock(mutex);
      if (!result.ok()) {
        ++failures;
      }
      seen.push_back(result.reply.integer);
      if (seen.size() == kCount) {
        all_done.set_value();
      }
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(failures, 0);
  {
    std::lock_guard lock(mutex);
    // Issued from one thread, so they reach Redis, and come back, in issue order.
    for (int i = 0; i < kCount; ++i) {
      ASSERT_EQ(seen[i], i + 1) << "at " << i;
    }
  }
  EXPECT_EQ(call(client, {"GET", k}).reply.str, std::to_string(kCount));
}

TEST_F(RedisClientTest, ConcurrentCallersOnManyThreadsAreAllServed) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key("counter");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5'000;

  std::atomic<int> ok{0};
  std::atomic<int> done{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        client.command({"INCR", k}, [&](Result result) {
          ok += result.ok() ? 1 : 0;
          ++done;
        });
      }
    });
  }
  for (auto& caller : callers) {
    caller.join();
  }
  ASSERT_TRUE(eventually([&] { return done == kThreads * kPerThread; }, 10s,
                         "every command of every thread to complete"));
  EXPECT_EQ(ok, kThreads * kPerThread);
  EXPECT_EQ(call(client, {"GET", k}).reply.str, std::to_string(kThreads * kPerThread));
}

TEST_F(RedisClientTest, CallbackCanIssueTheNextCommand) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key("chain");
  std::promise<long long> last;
  std::function<void(Result)> step = [&](Result result) {
    if (!result.ok() || result.reply.integer >= 100) {
      last.set_value(result.ok() ? result.reply.integer : -1);
      return;
    }
    client.command({"INCR", k}, step);
  };
  client.command({"INCR", k}, step);
  auto future = last.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get(), 100);
}

TEST_F(RedisClientTest, TransactionReturnsExecArray) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key("tx");

  Result result = call_transaction(client, {{"SET", k, "1"}, {"INCR", k}, {"GET", k}});
  ASSERT_TRUE(result.ok()) << result.message;
  ASSERT_EQ(result.reply.type, Reply::Type::array);
  ASSERT_EQ(result.reply.elements.size(), 3u);
  EXPECT_EQ(result.reply.elements[0].str, "OK");
  EXPECT_EQ(result.reply.elements[1].integer, 2);
  EXPECT_EQ(result.reply.elements[2].str, "2");

  // The connection is still in step after a transaction.
  EXPECT_EQ(call(client, {"GET", k}).reply.str, "2");
}

// A pipeline's replies come back as one array, in order; an error among them is reported with
// the others still there. It runs where a MULTI would not: Redis over its maxmemory refuses
// every command queued in a MULTI (reads too), but not reads on their own.
TEST_F(RedisClientTest, PipelineReturnsEveryReplyAndRunsWhereAMultiIsRefused) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key("pipe");

  Result result = call_transaction(client, {{"SET", k, "1"}, {"INCR", k}, {"GET", k}}, true);
  ASSERT_TRUE(result.ok()) << result.message;
  ASSERT_EQ(result.reply.elements.size(), 3u);
  EXPECT_EQ(result.reply.elements[1].integer, 2);
  EXPECT_EQ(result.reply.elements[2].str, "2");

  Result mixed = call_transaction(client, {{"GET", k}, {"HGET", k, "f"}, {"INCR", k}}, true);
  EXPECT_EQ(mixed.error, RedisErrc::reply_error);
  ASSERT_EQ(mixed.reply.elements.size(), 3u);
  EXPECT_EQ(mixed.reply.elements[0].str, "2");
  EXPECT_TRUE(mixed.reply.elements[1].is_error());
  EXPECT_EQ(mixed.reply.elements[2].integer, 3) << "the command after the error ran";

  const std::string before = call(client, {"CONFIG", "GET", "maxmemory"}).reply.elements.at(1).str;
  ASSERT_TRUE(call(client, {"CONFIG", "SET", "maxmemory", "1"}).ok());
  Result multi = call_transaction(client, {{"GET", k}, {"LLEN", k + ":list"}});
  Result piped = call_transaction(client, {{"GET", k}, {"LLEN", k + ":list"}}, true);
  ASSERT_TRUE(call(client, {"CONFIG", "SET", "maxmemory", before}).ok());
  EXPECT_EQ(multi.error, RedisErrc::reply_error) << "a full Redis took a MULTI";
  ASSERT_TRUE(piped.ok()) << piped.message;
  EXPECT_EQ(piped.reply.elements[0].str, "3");
}

TEST_F(RedisClientTest, TransactionWithRejectedCommandAppliesNothing) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key("tx");

  Result result = call_transaction(client, {{"SET", k, "1"}, {"INCR"}});  // INCR lacks its key
  EXPECT_EQ(result.error, RedisErrc::reply_error);
  EXPECT_NE(result.message.find("wrong number of arguments"), std::string::npos) << result.message;
  EXPECT_TRUE(call(client, {"GET", k}).reply.is_nil()) << "an aborted transaction wrote";
  EXPECT_TRUE(call(client, {"PING"}).ok()) << "connection out of step after EXECABORT";
}

TEST_F(RedisClientTest, TransactionReportsRuntimeErrorInsideExec) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string text = key("text");
  const std::string other = key("other");

  Result result =
      call_transaction(client, {{"SET", text, "abc"}, {"INCR", text}, {"SET", other, "1"}});
  EXPECT_EQ(result.error, RedisErrc::reply_error);
  EXPECT_NE(result.message.find("not an integer"), std::string::npos) << result.message;
  ASSERT_EQ(result.reply.elements.size(), 3u);
  EXPECT_TRUE(result.reply.elements[1].is_error());
}

TEST_F(RedisClientTest, ErrorReplyGivesReplyError) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  const std::string k = key("text");
  ASSERT_TRUE(call(client, {"SET", k, "abc"}).ok());

  Result result = call(client, {"INCR", k});
  EXPECT_EQ(result.error, RedisErrc::reply_error);
  EXPECT_TRUE(result.reply.is_error());
  EXPECT_NE(result.message.find("not an integer"), std::string::npos) << result.message;
  EXPECT_TRUE(client.connected()) << "an error reply must not cost the connection";
  EXPECT_TRUE(call(client, {"PING"}).ok());
}

TEST_F(RedisClientTest, PubSubCommandsAreRefused) {
  RedisClient client(io_, options());
  client.start();
  wait_connected(client);
  EXPECT_EQ(call(client, {"subscribe", "events"}).error, RedisErrc::reply_error);
  EXPECT_EQ(call(client, {}).error, RedisErrc::reply_error);
  EXPECT_TRUE(call(client, {"PING"}).ok());
}

TEST_F(RedisClientTest, SlowReplyTimesOutWithoutCostingTheConnection) {
  RedisOptions opts = options();
  opts.command_timeout = 100ms;
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string id = client_id(client);

  // BLPOP on an empty list holds the reply back like a stalled server, for this one
  // connection only.
  std::atomic<int> calls{0};
  std::promise<std::pair<Result, long long>> timed_out;
  const auto start = Clock::now();
  client.command({"BLPOP", key("empty"), "0.5"}, [&](Result result) {
    if (++calls == 1) {
      timed_out.set_value({result, elapsed_ms(start)});
    }
  });
  Result behind = call(client, {"PING"}, 2s);  // pipelined behind, its deadline passes too

  auto [result, took] = timed_out.get_future().get();
  EXPECT_EQ(result.error, RedisErrc::timeout) << result.message;
  EXPECT_GE(took, 99);
  EXPECT_LE(took, 300);
  EXPECT_EQ(behind.error, RedisErrc::timeout) << behind.message;
  // Both were sent: Redis may have run them, and a write path must say so.
  EXPECT_TRUE(result.may_have_run);
  EXPECT_TRUE(behind.may_have_run);

  // Deliberately lets the BLPOP give up: the late replies arrive and must be dropped, not
  // handed to the next commands.
  std::this_thread::sleep_for(500ms);
  Result echo = call(client, {"ECHO", "in step"});
  ASSERT_TRUE(echo.ok()) << echo.message;
  EXPECT_EQ(echo.reply.str, "in step");
  EXPECT_EQ(client_id(client), id) << "a timeout must not cost the connection";
  EXPECT_EQ(calls, 1) << "the timed-out callback ran again";
  EXPECT_EQ(sink_->count(spdlog::level::warn), 1) << "one warning for one slow reply";
}

TEST_F(RedisClientTest, PausedServerTimesOutThenClientRecovers) {
  RedisOptions opts = options();
  opts.command_timeout = 100ms;
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string k = key("k");

  admin_.run({"CLIENT", "PAUSE", "500"});
  const auto start = Clock::now();
  Result result = call(client, {"SET", k, "v"}, 2s);
  const auto took = elapsed_ms(start);
  EXPECT_EQ(result.error, RedisErrc::timeout) << result.message;
  EXPECT_GE(took, 99);
  EXPECT_LE(took, 300);

  ASSERT_TRUE(eventually(
      [&] {
        return call(client, {"SET", k, "after"}).ok();
      },
      3s, "a SET to succeed once the pause is over"));
  EXPECT_EQ(admin_.text({"GET", k}), "after");
}

TEST_F(RedisClientTest, FullQueueRefusesNewCommandsAtOnceUnsent) {
  RedisOptions opts = options();
  opts.command_timeout = 5s;
  opts.max_pending = 3;
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string id = client_id(client);

  // A BLPOP and two commands behind it wait for their replies: the queue is full.
  auto blocked = send(client, {"BLPOP", key("empty"), "1"});
  wait_blocked(id);
  auto one = send(client, {"ECHO", "one"});
  auto two = send(client, {"ECHO", "two"});

  const auto start = Clock::now();
  Result refused = call(client, {"ECHO", "three"});
  EXPECT_LT(elapsed_ms(start), 200) << "a full queue must refuse at once, not wait";
  EXPECT_EQ(refused.error, RedisErrc::disconnected) << refused.message;
  EXPECT_FALSE(refused.may_have_run) << "refused before it was sent";
  EXPECT_NE(refused.message.find("queue is full"), std::string::npos) << refused.message;

  // The queued ones are answered in order once the BLPOP gives up, and there is room again.
  EXPECT_TRUE(blocked.get().first.ok());
  EXPECT_EQ(one.get().first.reply.str, "one");
  EXPECT_EQ(two.get().first.reply.str, "two");
  EXPECT_EQ(call(client, {"ECHO", "four"}).reply.str, "four");
}

TEST_F(RedisClientTest, KilledConnectionFailsOutstandingCommandsAndReconnects) {
  RedisOptions opts = options();
  opts.command_timeout = 5s;
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string id = client_id(client);

  std::promise<Result> blocked;
  std::promise<Result> behind;
  client.command({"BLPOP", key("empty"), "10"}, [&](Result r) { blocked.set_value(r); });
  client.command({"PING"}, [&](Result r) { behind.set_value(r); });
  wait_blocked(id);

  const auto start = Clock::now();
  EXPECT_EQ(admin_.run({"CLIENT", "KILL", "ID", id})->integer, 1);
  auto blocked_future = blocked.get_future();
  auto behind_future = behind.get_future();
  ASSERT_EQ(blocked_future.wait_for(1s), std::future_status::ready);
  ASSERT_EQ(behind_future.wait_for(1s), std::future_status::ready);
  const auto blocked_result = blocked_future.get();
  const auto behind_result = behind_future.get();
  EXPECT_EQ(blocked_result.error, RedisErrc::disconnected);
  EXPECT_EQ(behind_result.error, RedisErrc::disconnected);
  EXPECT_TRUE(blocked_result.may_have_run && behind_result.may_have_run);
  EXPECT_LT(elapsed_ms(start), 1000);

  wait_connected(client);
  EXPECT_TRUE(call(client, {"PING"}).ok());
  EXPECT_NE(client_id(client), id) << "expected a new connection";
  EXPECT_EQ(sink_->count(spdlog::level::warn), 1) << "one warning for one lost connection";
}

TEST_F(RedisClientTest, RefusedConnectionFailsFastAndWarnsOnce) {
  // A port nobody listens on: bind an ephemeral port, then free it.
  std::uint16_t port = 0;
  {
    boost::asio::io_context scratch;
    boost::asio::ip::tcp::acceptor acceptor(
        scratch, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  RedisOptions opts = options();
  opts.host = "127.0.0.1";
  opts.port = port;
  opts.reconnect_min = 10ms;
  opts.reconnect_max = 40ms;
  RedisClient client(io_, opts);
  client.start();

  for (int i = 0; i < 10; ++i) {
    const auto start = Clock::now();
    Result result = call(client, {"PING"});
    EXPECT_EQ(result.error, RedisErrc::disconnected);
    EXPECT_FALSE(result.may_have_run) << "never sent, so certainly not run";
    EXPECT_LT(elapsed_ms(start), 50) << "a command on a dead connection must not wait";
    std::this_thread::sleep_for(30ms);  // pacing: reconnect attempts go on between the commands
  }
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(sink_->count(spdlog::level::warn), 1) << "one warning per outage, not per retry";
  EXPECT_GE(sink_->count(spdlog::level::debug), 2) << "retries should go on in the background";
}

TEST_F(RedisClientTest, UnresponsiveServerHitsTheConnectDeadline) {
  // The kernel completes TCP handshakes for a listening socket nobody serves: the connect
  // succeeds, the handshake's PING is never answered, like a hung Redis.
  boost::asio::io_context scratch;
  boost::asio::ip::tcp::acceptor silent(
      scratch, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  RedisOptions opts = options();
  opts.host = "127.0.0.1";
  opts.port = silent.local_endpoint().port();
  opts.connect_timeout = 200ms;
  opts.reconnect_min = 10ms;
  opts.reconnect_max = 40ms;
  RedisClient client(io_, opts);
  const auto start = Clock::now();
  client.start();

  ASSERT_TRUE(eventually([&] { return sink_->count(spdlog::level::warn) > 0; }, 2s,
                         "a warning in the log"));
  const auto first_warning = elapsed_ms(start);
  EXPECT_GE(first_warning, 199);
  EXPECT_LE(first_warning, 500);
  EXPECT_EQ(call(client, {"PING"}).error, RedisErrc::disconnected);

  // Deliberately lets more reconnect attempts fail: still disconnected, still one warning.
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(sink_->count(spdlog::level::warn), 1);
  bool says_why = false;
  for (const auto& line : sink_->lines()) {
    says_why = says_why || line.text.find("no connection within 200 ms") != std::string::npos;
  }
  EXPECT_TRUE(says_why);
}

TEST_F(RedisClientTest, ResolvesHostNames) {
  RedisOptions opts = options();
  if (opts.host != "127.0.0.1" && opts.host != "localhost") {
    GTEST_SKIP() << "needs Redis on loopback";
  }
  opts.host = "localhost";
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  EXPECT_TRUE(call(client, {"PING"}).ok());
}

TEST_F(RedisClientTest, StopCompletesOutstandingCommandsAndRestartWorks) {
  RedisOptions opts = options();
  opts.command_timeout = 5s;
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string id = client_id(client);

  constexpr int kCount = 100;
  std::atomic<int> completions{0};
  std::atomic<int> disconnected{0};
  std::promise<Result> blocked;
  client.command({"BLPOP", key("empty"), "10"}, [&](Result r) { blocked.set_value(r); });
  wait_blocked(id);
  for (int i = 0; i < kCount; ++i) {
    client.command({"PING"}, [&](Result r) {
      disconnected += r.error == RedisErrc::disconnected ? 1 : 0;
      ++completions;
    });
  }
  client.stop();
  EXPECT_FALSE(client.connected());

  auto blocked_future = blocked.get_future();
  ASSERT_EQ(blocked_future.wait_for(1s), std::future_status::ready);
  EXPECT_EQ(blocked_future.get().error, RedisErrc::disconnected);
  ASSERT_TRUE(eventually([&] { return completions == kCount; }, 1s,
                         "every outstanding command to complete"));
  EXPECT_EQ(disconnected, kCount) << "PINGs stuck behind BLPOP cannot have been answered";
  EXPECT_EQ(call(client, {"PING"}).error, RedisErrc::disconnected);

  client.start();
  wait_connected(client);
  EXPECT_TRUE(call(client, {"PING"}).ok());
  // Deliberately lets time pass: a callback that would run twice has had the chance to.
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(completions, kCount) << "a callback ran twice";
}

TEST_F(RedisClientTest, DestroyingTheClientCompletesOutstandingCommands) {
  RedisOptions opts = options();
  opts.command_timeout = 5s;
  auto client = std::make_unique<RedisClient>(io_, opts);
  client->start();
  wait_connected(*client);
  const std::string id = client_id(*client);

  std::promise<Result> blocked;
  client->command({"BLPOP", key("empty"), "10"}, [&](Result r) { blocked.set_value(r); });
  wait_blocked(id);
  client.reset();

  auto future = blocked.get_future();
  ASSERT_EQ(future.wait_for(1s), std::future_status::ready);
  EXPECT_EQ(future.get().error, RedisErrc::disconnected);
}

TEST_F(RedisClientTest, CallbackIsNeverRunInsideCommand) {
  boost::asio::io_context idle;  // not run: nothing can complete until we say so
  RedisClient client(idle, options());
  bool ran = false;
  client.command({"PING"}, [&](Result r) {
    ran = true;
    EXPECT_EQ(r.error, RedisErrc::disconnected);
  });
  EXPECT_FALSE(ran);
  idle.run_for(100ms);
  EXPECT_TRUE(ran);
}

TEST_F(RedisClientTest, SelectsTheConfiguredDatabase) {
  RedisOptions opts = options();
  opts.db = 3;
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string k = key("in_db3");

  ASSERT_TRUE(call(client, {"SET", k, "three"}).ok());
  EXPECT_EQ(admin_.run({"GET", k})->type, REDIS_REPLY_NIL) << "written to db 0";
  admin_.run({"SELECT", "3"});
  EXPECT_EQ(admin_.text({"GET", k}), "three");
  admin_.run({"DEL", k});
  admin_.run({"SELECT", "0"});
}

TEST_F(RedisClientTest, WrongPasswordKeepsClientDisconnectedAndIsNeverLogged) {
  const std::string password = "s3cret-pa55word-for-the-test";
  RedisOptions opts = options();
  opts.password = password;
  opts.reconnect_min = 20ms;
  opts.reconnect_max = 50ms;
  RedisClient client(io_, opts);
  client.start();

  ASSERT_TRUE(eventually([&] { return sink_->count(spdlog::level::warn) > 0; }, 2s,
                         "the failed authentication to be logged"));
  // Deliberately lets more attempts fail: still disconnected, still one warning.
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(call(client, {"PING"}).error, RedisErrc::disconnected);
  EXPECT_EQ(sink_->count(spdlog::level::warn), 1);
  bool mentions_auth = false;
  for (const auto& line : sink_->lines()) {
    EXPECT_EQ(line.text.find(password), std::string::npos) << "password logged: " << line.text;
    mentions_auth = mentions_auth || line.text.find("AUTH") != std::string::npos;
  }
  EXPECT_TRUE(mentions_auth) << "the log should say that authentication failed";
}

TEST_F(RedisClientTest, MeasuresThroughputOfPipelinedSets) {
  RedisOptions opts = options();
  opts.command_timeout = 10s;
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string k = key("bench");
  const std::string value(16, 'x');
  constexpr int kCount = 100'000;

  std::atomic<int> ok{0};
  std::atomic<int> done{0};
  std::promise<void> finished;
  const auto start = Clock::now();
  for (int i = 0; i < kCount; ++i) {
    client.command({"SET", k, value}, [&](Result r) {
      ok += r.ok() ? 1 : 0;
      if (++done == kCount) {
        finished.set_value();
      }
    });
  }
  ASSERT_EQ(finished.get_future().wait_for(30s), std::future_status::ready);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(ok, kCount);
  std::cout << "[ measure  ] " << kCount << " pipelined SETs in " << seconds * 1000.0
            << " ms = " << static_cast<long long>(kCount / seconds) << " commands/s\n";
  RecordProperty("sets_per_second", static_cast<int>(kCount / seconds));
}

/// Tests that stall or cut the whole server; whatever happens, TearDown lifts the blackhole
/// before the base fixture cleans up through its own connection.
class RedisClientFaultTest : public RedisClientTest {
 protected:
  void TearDown() override {
    if (blackholed_) {
      lift_blackhole();
    }
    RedisClientTest::TearDown();
  }

  void blackhole_redis() {
    blackholed_ = true;
    ASSERT_EQ(test::blackhole(server_options().port), 0);
  }

  void lift_blackhole() {
    blackholed_ = false;
    EXPECT_EQ(test::unblackhole(server_options().port), 0);
  }

 private:
  bool blackholed_ = false;
};

TEST_F(RedisClientFaultTest, PausedServerTimesOutOnlyOverdueCommandsAndKeepsTheConnection) {
  RedisOptions opts = options();
  opts.command_timeout = 500ms;  // stall_limit stays at its default, far beyond the pause
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string id = client_id(client);
  const std::string a = key("a");
  const std::string c = key("c");

  // Every command sent in the next 1.2 s is answered only when the pause ends.
  admin_.run({"CLIENT", "PAUSE", "1200"});
  const auto paused = Clock::now();
  auto first = send(client, {"SET", a, "1"});
  auto [timed_out, at] = first.get();
  EXPECT_EQ(timed_out.error, RedisErrc::timeout) << timed_out.message;
  EXPECT_TRUE(timed_out.may_have_run);
  EXPECT_LT(at - paused, 900ms) << "the timeout waited for the server";

  // Sent after the first timed out: one whose deadline (~1.05 s) passes during the pause times
  // out on time, one whose deadline (~1.45 s) lies beyond the pause gets its reply.
  std::this_thread::sleep_until(paused + 550ms);
  const auto second_sent = Clock::now();
  auto second = send(client, {"PING"});
  std::this_thread::sleep_until(paused + 950ms);
  auto third = send(client, {"SET", c, "3"});

  auto [overdue, overdue_at] = second.get();
  EXPECT_EQ(overdue.error, RedisErrc::timeout) << overdue.message;
  EXPECT_LT(overdue_at - second_sent, 900ms) << "waited for the stall limit, not its deadline";
  Result in_time = third.get().first;
  ASSERT_TRUE(in_time.ok()) << "a command whose deadline had not passed failed: "
                            << in_time.message;
  EXPECT_EQ(in_time.reply.str, "OK");

  // The connection stayed, and the late replies were not handed to anybody else.
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client_id(client), id) << "the client reconnected";
  EXPECT_EQ(call(client, {"ECHO", "in step"}).reply.str, "in step");
  EXPECT_EQ(admin_.text({"GET", a}), "1") << "the timed-out SET did run: may_have_run was right";
  EXPECT_EQ(admin_.text({"GET", c}), "3");
  EXPECT_EQ(sink_->count(spdlog::level::warn), 1) << "one warning for one slow episode";
}

TEST_F(RedisClientFaultTest, BlackholedServerIsDroppedAfterTheStallLimitAndReconnected) {
  if (!test::is_root()) {
    GTEST_SKIP() << "blackholing a port needs root";
  }
  RedisOptions opts = options();
  opts.command_timeout = 200ms;
  opts.stall_limit = 1s;
  opts.connect_timeout = 300ms;
  opts.reconnect_min = 50ms;
  opts.reconnect_max = 200ms;
  RedisClient client(io_, opts);
  client.start();
  wait_connected(client);
  const std::string id = client_id(client);

  ASSERT_NO_FATAL_FAILURE(blackhole_redis());
  const auto start = Clock::now();
  auto [timed_out, at] = send(client, {"PING"}).get();
  EXPECT_EQ(timed_out.error, RedisErrc::timeout) << timed_out.message;
  EXPECT_TRUE(timed_out.may_have_run);

  // Within the stall limit a missing reply may still come: the connection is kept.
  std::this_thread::sleep_until(start + 600ms);
  EXPECT_TRUE(client.connected()) << "dropped before the stall limit";

  // Past it the connection is taken for dead, and commands fail fast instead of timing out.
  ASSERT_TRUE(eventually([&] { return !client.connected(); }, 3s, "the connection to be dropped"));
  EXPECT_GE(elapsed_ms(start), 1'150) << "dropped before the stall limit";
  Result unsent = call(client, {"PING"});
  EXPECT_EQ(unsent.error, RedisErrc::disconnected) << unsent.message;
  EXPECT_FALSE(unsent.may_have_run);
  bool says_why = false;
  for (const auto& line : sink_->lines()) {
    says_why = says_why || line.text.find("past a command's deadline") != std::string::npos;
  }
  EXPECT_TRUE(says_why) << "the log should say why the connection was dropped";

  lift_blackhole();
  wait_connected(client);
  EXPECT_TRUE(call(client, {"PING"}).ok());
  EXPECT_NE(client_id(client), id) << "expected a new connection";
}

}  // namespace
}  // namespace opsdb::redis
