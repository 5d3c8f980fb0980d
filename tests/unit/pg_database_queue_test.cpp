#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "opsdb/api/error_mapping.hpp"
#include "opsdb/postgres/pg_database.hpp"

namespace opsdb {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A "database" that accepts connections (the kernel does, from the listen backlog) and never
// says a word: every call sent to it hangs until libpq's connect timeout. No PostgreSQL needed.
class HungServer {
 public:
  HungServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~HungServer() { ::close(fd_); }
  HungServer(const HungServer&) = delete;
  HungServer& operator=(const HungServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// What one call's callback saw, and when, relative to the call.
struct Outcome {
  std::optional<Error> error;
  Clock::duration after{};
  bool inside_call = false;  // called back on the thread that made the call
};

class CallRecorder {
 public:
  // Calls `db.query` and records the callback's result; the future is ready once it has run.
  std::shared_future<Outcome> call(Database& db) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    auto future = promise->get_future().share();
    const auto caller = std::this_thread::get_id();
    const auto made = Clock::now();
    db.query({"SELECT '1'", {}}, [promise, caller, made](Result<nlohmann::json> result) {
      Outcome outcome;
      if (!result.ok()) outcome.error = result.error();
      outcome.after = Clock::now() - made;
      outcome.inside_call = std::this_thread::get_id() == caller;
      promise->set_value(std::move(outcome));
    });
    return future;
  }
};

DbConfig hung_database(std::uint16_t port) {
  DbConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.connect_timeout = 1s;  // libpq waits at least 2 s
  config.statement_timeout = 1s;
  return config;
}

TEST(PgDatabaseQueue, AFullQueueRefusesAtOnceAndQueuedCallsExpireWhileTheWorkerIsStuck) {
  HungServer server;
  PgDatabase db("hung", hung_database(server.port()), 1, PgQueueOptions{2, 300ms});
  CallRecorder calls;

  auto stuck = calls.call(db);         // the worker takes it and hangs in the connect
  std::this_thread::sleep_for(100ms);  // lets the worker take it off the queue
  auto queued_1 = calls.call(db);
  auto queued_2 = calls.call(db);
  auto refused = calls.call(db);

  ASSERT_EQ(refused.wait_for(1s), std::future_status::ready) << "a full queue must refuse at once";
  const auto& r = refused.get();
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->fault, Fault::unavailable);
  EXPECT_EQ(r.error->code, "busy");
  EXPECT_NE(r.error->message.find("busy"), std::string::npos) << r.error->message;
  EXPECT_LT(r.after, 200ms);
  EXPECT_FALSE(r.inside_call) << "the refusal must not call back from inside query()";

  // The queued calls fail after the queue wait, long before the stuck worker is free again.
  for (auto* queued : {&queued_1, &queued_2}) {
    ASSERT_EQ(queued->wait_for(1500ms), std::future_status::ready);
    const auto& q = queued->get();
    ASSERT_TRUE(q.error);
    EXPECT_EQ(q.error->code, "busy");
    EXPECT_GE(q.after, 250ms);
    EXPECT_LT(q.after, 1s);
  }
  EXPECT_EQ(stuck.wait_for(0s), std::future_status::timeout) << "the hung call ended too early";

  const auto stats = db.queue_stats();
  EXPECT_EQ(stats.refused_full, 1u);
  EXPECT_EQ(stats.expired_queued, 2u);
  EXPECT_EQ(stats.queued, 0u);

  // The hung call itself ends with its own deadline.
  ASSERT_EQ(stuck.wait_for(10s), std::future_status::ready);
  ASSERT_TRUE(stuck.get().error);
  EXPECT_EQ(stuck.get().error->fault, Fault::unavailable);
  EXPECT_NE(stuck.get().error->code, "busy");
  db.stop();
}

TEST(PgDatabaseQueue, ABusyDatabaseIsA503ThatSaysSo) {
  const Error busy{Fault::unavailable, "local database is busy", "busy"};

  // Writes at the main site and reads at a secondary site (from its local database) alike.
  for (auto dependency : {Dependency::database, Dependency::local_database}) {
    const auto error = to_api_error(busy, dependency);
    EXPECT_EQ(http_status(error.kind()), 503);
    EXPECT_NE(std::string(error.what()).find("busy"), std::string::npos) << error.what();
    EXPECT_EQ(error.details().at("reason"), "database_busy");
  }
  const auto unreachable = to_api_error(Error{Fault::unavailable, "timeout expired", ""},
                                        Dependency::local_database);
  EXPECT_EQ(http_status(unreachable.kind()), 503);
  EXPECT_NE(std::string(unreachable.what()).find("local database"), std::string::npos);
}

}  // namespace
}  // namespace opsdb
