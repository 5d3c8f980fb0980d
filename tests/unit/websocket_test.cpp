#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "opsdb/auth/credential_verifier.hpp"
#include "opsdb/config/config.hpp"
#include "opsdb/core/clock.hpp"
#include "opsdb/core/error.hpp"
#include "opsdb/core/message_feed.hpp"
#include "opsdb/http/router.hpp"
#include "opsdb/http/server.hpp"
#include "support/credentials.hpp"
#include "support/http_client.hpp"
#include "support/log_capture.hpp"
#include "support/loopback_server.hpp"
#include "support/wait.hpp"
#include "support/websocket_client.hpp"

namespace opsdb::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::WebSocketClient;

// Upper bound for anything a test waits for; reached only when the behaviour under test is broken.
constexpr auto kDeadline = 5s;
constexpr const char* kTarget = "/ws/feed";

MessageFeed::Message text(std::string value) {
  return std::make_shared<const std::string>(std::move(value));
}

// A server on an ephemeral port whose WebSocket route hands every client a feed the test
// fills, as the event hub will.
class WebSocketTest : public ::testing::Test {
 protected:
  static ServerOptions test_options() { return test::loopback_server_options(); }

  // The route; `role` other than open needs `use_credentials()` first.
  void add_route(Role role = Role::open) {
    Route route;
    route.method = "GET";
    route.pattern = kTarget;
    route.role = role;
    route.success_status = 101;
    route.websocket = true;
    route.handler = [this](const RequestContext&, const Request& request, const PathParams&,
                           Respond respond) {
      auto feed = std::make_shared<MessageFeed>(limits_);
      {
        std::lock_guard lock(mutex_);
        feeds_.push_back(feed);
        targets_.push_back(request.target);
      }
      Response response;
      response.status = 101;
      response.feed = std::move(feed);
      respond(std::move(response));
    };
    router_->add(std::move(route));
  }

  std::string use_credentials() {
    verifier_ =
        std::make_shared<auth::CredentialVerifier>(credentials_, clock_, auth::VerifierOptions{});
    router_ = std::make_shared<Router>(verifier_);
    return credentials_.add_token("watcher", {Role::viewer});
  }

  void start(ServerOptions options = test_options()) {
    server_ = std::make_unique<Server>(io_, options, router_);
    server_->start();
    ASSERT_NE(server_->port(), 0);
    for (int i = 0; i < 2; ++i) io_threads_.emplace_back([this] { io_.run(); });
  }

  std::future<void> stop() {
    auto stopped = std::make_shared<std::promise<void>>();
    auto future = stopped->get_future();
    stop_called_ = true;
    server_->stop([stopped] { stopped->set_value(); });
    return future;
  }

  void TearDown() override {
    if (server_ && !stop_called_) {
      auto stopped = stop();
      EXPECT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
    }
    work_.reset();
    io_.stop();
    for (auto& thread : io_threads_) thread.join();
    server_.reset();
  }

  // The feed of the n-th client the route accepted (0-based), once the handler has made it.
  std::shared_ptr<MessageFeed> feed(std::size_t n) {
    EXPECT_TRUE(test::wait_until(
        [&] {
          std::lock_guard lock(mutex_);
          return feeds_.size() > n;
        },
        kDeadline, "the route's handler"));
    std::lock_guard lock(mutex_);
    return n < feeds_.size() ? feeds_[n] : nullptr;
  }

  std::size_t open_clients() const { return server_->stats().open_websocket_clients; }

  WebSocketClient::Result connect(const std::string& target = kTarget,
                                  const std::map<std::string, std::string>& headers = {},
                                  const test::WebSocketOptions& options = {}) {
    return WebSocketClient::connect(server_->port(), target, headers, options);
  }

  std::unique_ptr<WebSocketClient> connected(const test::WebSocketOptions& options = {}) {
    auto result = connect(kTarget, {}, options);
    EXPECT_EQ(result.response.status, 101) << result.response.body;
    return std::move(result.client);
  }

  // Logs captured by a test: kept until TearDown has joined the server's threads, which log to
  // the end (a session that ends when the test's client goes), so the default logger is never
  // swapped back while one of them writes.
  test::LogCapture& capture_logs() { return captured_.emplace(); }
  std::optional<test::LogCapture> captured_;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::shared_ptr<Router> router_ = std::make_shared<Router>();
  std::unique_ptr<Server> server_;
  std::vector<std::thread> io_threads_;
  bool stop_called_ = false;

  MessageFeed::Limits limits_{};
  std::mutex mutex_;
  std::vector<std::shared_ptr<MessageFeed>> feeds_;
  std::vector<std::string> targets_;

  test::InMemoryCredentials credentials_;
  SystemClock clock_;
  std::shared_ptr<auth::CredentialVerifier> verifier_;
};

TEST_F(WebSocketTest, UpgradesAndSendsTheFeedsMessagesInOrder) {
  auto& logs = capture_logs();
  add_route();
  start();

  auto result = connect();
  ASSERT_EQ(result.response.status, 101) << result.response.body;
  ASSERT_TRUE(result.client);
  EXPECT_EQ(result.response.headers["server"], "ops-db-api");
  EXPECT_FALSE(result.response.headers["x-request-id"].empty());
  auto& client = *result.client;
  auto messages = feed(0);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(messages->push(text("m" + std::to_string(i))));

  for (int i = 0; i < 200; ++i) {
    const auto message = client.next();
    ASSERT_TRUE(message) << "message " << i;
    EXPECT_EQ(*message, "m" + std::to_string(i));
  }
  EXPECT_EQ(open_clients(), 1u);
  client.close(1000);

  EXPECT_TRUE(client.closed());
  EXPECT_EQ(client.close_code(), 1000) << "the server answers the client's close";
  EXPECT_TRUE(test::wait_until([&] { return messages->ended(); }, kDeadline, "the feed's end"));
  // The session counts itself out just after it ended its feed.
  EXPECT_TRUE(test::wait_until(
      [&] { return open_clients() == 0 && server_->stats().open_connections == 0; }, kDeadline,
      "the connection counted out"));
  EXPECT_EQ(logs.count("GET /ws/feed 101"), 1u);
  EXPECT_EQ(logs.count("WebSocket /ws/feed"), 1u) << "one line at the end of the connection";
  EXPECT_EQ(logs.count("200 message(s) sent: closed by the client with 1000"), 1u);
}

TEST_F(WebSocketTest, MessagesFromTheClientAreIgnoredButTheirSizeIsBounded) {
  add_route();
  start();
  auto client = connected();
  ASSERT_TRUE(client);
  auto messages = feed(0);

  ASSERT_TRUE(client->send("hello"));
  messages->push(text("still here"));
  EXPECT_EQ(client->next(), "still here");
  ASSERT_TRUE(client->send(std::string(8 * 1024, 'x')));

  EXPECT_TRUE(client->wait_closed());
  EXPECT_EQ(client->close_code(), 1009);
  EXPECT_TRUE(test::wait_until([&] { return messages->ended(); }, kDeadline, "the feed's end"));
}

TEST_F(WebSocketTest, PlainGetOfAWebSocketRouteIs426) {
  add_route();
  start();

  const auto response = test::http_get(server_->port(), kTarget);

  EXPECT_EQ(response.status, 426);
  EXPECT_EQ(response.headers.at("upgrade"), "websocket");
  EXPECT_EQ(response.headers.at("content-type"), "application/json");
  EXPECT_EQ(response.json().at("error").at("code"), "upgrade_required");
  std::lock_guard lock(mutex_);
  EXPECT_TRUE(feeds_.empty());
}

TEST_F(WebSocketTest, AHandlerRefusingTheUpgradeIsAnsweredAsPlainHttp) {
  Route refusing;
  refusing.method = "GET";
  refusing.pattern = "/ws/refused";
  refusing.websocket = true;
  refusing.handler = [](const RequestContext&, const Request&, const PathParams&, Respond) {
    throw ApiError(ErrorKind::not_found, "no such stream");
  };
  router_->add(std::move(refusing));
  start();

  const auto result = connect("/ws/refused");

  EXPECT_FALSE(result.client);
  EXPECT_EQ(result.response.status, 404);
  EXPECT_EQ(result.response.json().at("error").at("code"), "not_found");
  EXPECT_EQ(server_->stats().open_websocket_clients, 0u);
}

TEST_F(WebSocketTest, CredentialsComeFromTheHeaderOrTheQueryAndTheTokenIsNeverLogged) {
  auto& logs = capture_logs();
  const auto token = use_credentials();
  const std::string wrong = "ops_api_token_wrongwrongwrongwrongwrong";
  add_route(Role::viewer);
  start();

  const auto anonymous = connect();
  const auto by_header = connect(kTarget, {{"Authorization", "Bearer " + token}});
  const auto by_query = connect(std::string(kTarget) + "?token=" + token);
  const auto wrong_query = connect(std::string(kTarget) + "?token=" + wrong);

  EXPECT_FALSE(anonymous.client);
  EXPECT_EQ(anonymous.response.status, 401);
  EXPECT_EQ(anonymous.response.json().at("error").at("code"), "unauthorized");
  EXPECT_NE(anonymous.response.headers.at("www-authenticate").find("Bearer"), std::string::npos);
  ASSERT_TRUE(by_header.client) << by_header.response.status << by_header.response.body;
  ASSERT_TRUE(by_query.client) << by_query.response.status << by_query.response.body;
  EXPECT_FALSE(wrong_query.client);
  EXPECT_EQ(wrong_query.response.status, 401);
  feed(1)->push(text("for the query's client"));
  EXPECT_EQ(by_query.client->next(), "for the query's client");
  {
    std::lock_guard lock(mutex_);
    ASSERT_EQ(targets_.size(), 2u) << "the handler runs for admitted clients only";
    EXPECT_EQ(targets_[1], kTarget) << "the handler never sees the token";
  }
  by_header.client->close();
  by_query.client->close();
  ASSERT_TRUE(test::wait_until([&] { return open_clients() == 0; }, kDeadline, "both ends"));

  const auto lines = logs.lines();
  EXPECT_EQ(logs.count("GET /ws/feed 101"), 2u);
  EXPECT_EQ(logs.count("GET /ws/feed 401"), 2u);
  EXPECT_EQ(logs.count("WebSocket /ws/feed"), 2u);
  for (const auto& line : lines) {
    EXPECT_EQ(line.find(token), std::string::npos) << line;
    EXPECT_EQ(line.find(wrong), std::string::npos) << line;
    EXPECT_EQ(line.find("token="), std::string::npos) << line;
  }
}

TEST_F(WebSocketTest, ClientsBeyondTheLimitGet429UntilOneLeaves) {
  add_route();
  auto options = test_options();
  options.max_websocket_clients = 2;
  start(options);

  auto first = connected();
  auto second = connected();
  const auto third = connect();

  ASSERT_TRUE(first && second);
  EXPECT_FALSE(third.client);
  EXPECT_EQ(third.response.status, 429);
  EXPECT_EQ(third.response.headers.at("retry-after"), "5");
  EXPECT_EQ(third.response.json().at("error").at("code"), "too_many_requests");
  EXPECT_TRUE(feed(2)->ended()) << "the refused client's subscription is released";
  EXPECT_EQ(open_clients(), 2u);
  EXPECT_EQ(server_->stats().refused_websocket_clients, 1u);

  first->close();
  ASSERT_TRUE(test::wait_until([&] { return open_clients() == 1; }, kDeadline, "a free place"));
  auto fourth = connected();

  ASSERT_TRUE(fourth);
  feed(3)->push(text("welcome"));
  EXPECT_EQ(fourth->next(), "welcome");
  EXPECT_EQ(open_clients(), 2u);
}

// A client that does not read cannot make the server hold more than its feed's limits, nor hold
// up the others: its feed closes it (1013) and if it cannot even take the close, it is cut off.
TEST_F(WebSocketTest, ASlowClientIsClosedWhileAFastOneGetsEverything) {
  auto& logs = capture_logs();
  limits_ = {.max_messages = 256, .max_bytes = 256 * 1024};
  add_route();
  start();
  auto fast = connected();
  auto slow = connected({.slow = true});
  ASSERT_TRUE(fast && slow);
  auto fast_feed = feed(0);
  auto slow_feed = feed(1);

  std::atomic<int> fast_received{0};
  std::atomic<bool> fast_in_order{true};
  std::atomic<bool> done{false};
  std::thread reader;
  // Joined however the test ends, even by a failed ASSERT.
  struct Joiner {
    std::atomic<bool>& done;
    std::thread& thread;
    ~Joiner() {
      done = true;
      if (thread.joinable()) thread.join();
    }
  } joiner{done, reader};
  reader = std::thread([&] {
    while (!done && !fast->closed()) {
      const auto message = fast->next(50ms);
      if (!message) continue;
      const int expected = fast_received;
      if (message->rfind(std::to_string(expected) + ":", 0) != 0) fast_in_order = false;
      ++fast_received;
    }
  });
  const std::string padding(1000, 'p');
  int pushed = 0;
  std::chrono::steady_clock::time_point overflowed;
  // Paced by the fast client, so only the slow one can fall behind.
  while (pushed < 20'000 && (!slow_feed->closing() || pushed < 2'000)) {
    for (int i = 0; i < 64; ++i, ++pushed) {
      ASSERT_TRUE(fast_feed->push(text(std::to_string(pushed) + ":" + padding)));
      if (!slow_feed->push(text(std::to_string(pushed) + ":" + padding)) &&
          overflowed == std::chrono::steady_clock::time_point{}) {
        overflowed = std::chrono::steady_clock::now();
      }
    }
    ASSERT_TRUE(test::wait_until([&] { return fast_received == pushed; }, kDeadline,
                                 "the fast client keeping up"));
  }
  ASSERT_TRUE(slow_feed->closing()) << "the slow client's feed never filled up";
  ASSERT_TRUE(test::wait_until([&] { return slow_feed->ended(); }, kDeadline,
                               "the slow client's connection to end"));
  const auto took = std::chrono::steady_clock::now() - overflowed;
  done = true;
  reader.join();

  EXPECT_GE(pushed, 2'000);
  EXPECT_EQ(fast_received, pushed);
  EXPECT_TRUE(fast_in_order);
  EXPECT_FALSE(fast->closed());
  EXPECT_LT(took, 4s) << "the close is bounded by about 2 s";
  EXPECT_TRUE(test::wait_until([&] { return open_clients() == 1; }, kDeadline, "one client left"));
  EXPECT_TRUE(slow->wait_closed());
  EXPECT_TRUE(slow->close_code() == 1013 || slow->close_code() == 0) << slow->close_code();
  EXPECT_LT(slow->received(), static_cast<std::size_t>(pushed));
  EXPECT_EQ(logs.count("with 1013"), 1u) << "the end names the close the feed asked for";
}

TEST_F(WebSocketTest, AClientThatAnswersNoPingIsDroppedAfterTwoIntervals) {
  auto& logs = capture_logs();
  add_route();
  auto options = test_options();
  options.websocket_ping_interval = 200ms;
  start(options);
  auto live = connected();
  const auto silent_since = std::chrono::steady_clock::now();
  auto silent = connected();  // never called again: reads nothing, answers no ping
  ASSERT_TRUE(live && silent);
  auto silent_feed = feed(1);

  // The live client reads (and so answers pings) all along.
  std::chrono::steady_clock::duration dropped_after{};
  const auto until = silent_since + 3s;
  while (std::chrono::steady_clock::now() < until) {
    EXPECT_FALSE(live->next(20ms)) << "nothing is sent but pings";
    if (dropped_after == std::chrono::steady_clock::duration{} && silent_feed->ended()) {
      dropped_after = std::chrono::steady_clock::now() - silent_since;
    }
    if (dropped_after != std::chrono::steady_clock::duration{} &&
        std::chrono::steady_clock::now() - silent_since > 1200ms) {
      break;  // the live client has outlived six intervals
    }
  }

  ASSERT_NE(dropped_after, std::chrono::steady_clock::duration{}) << "the silent client stayed";
  EXPECT_GE(dropped_after, 300ms);
  EXPECT_LE(dropped_after, 1s);
  EXPECT_FALSE(live->closed());
  EXPECT_EQ(open_clients(), 1u);
  EXPECT_EQ(logs.count("no answer to pings"), 1u);
  EXPECT_TRUE(silent->wait_closed());
  EXPECT_EQ(silent->close_code(), 0) << "dropped, without a close frame";
}

TEST_F(WebSocketTest, TheFeedsCloseReachesTheClientAfterTheMessagesBeforeIt) {
  add_route();
  start();
  auto client = connected();
  ASSERT_TRUE(client);
  auto messages = feed(0);

  messages->push(text("before"));
  messages->close(FeedClose{1008, "x"});

  EXPECT_EQ(client->next(), "before");
  EXPECT_FALSE(client->next());
  EXPECT_TRUE(client->closed());
  EXPECT_EQ(client->close_code(), 1008);
  EXPECT_EQ(client->close_reason(), "x");
  EXPECT_TRUE(test::wait_until([&] { return open_clients() == 0; }, kDeadline, "the end"));
  EXPECT_TRUE(messages->ended());
}

TEST_F(WebSocketTest, StopClosesWebSocketClientsWithGoingAway) {
  add_route();
  start();
  auto first = connected();
  auto second = connected();
  ASSERT_TRUE(first && second);
  feed(0)->push(text("hello"));
  EXPECT_EQ(first->next(), "hello");

  const auto started = std::chrono::steady_clock::now();
  auto stopped = stop();
  EXPECT_TRUE(first->wait_closed());
  EXPECT_TRUE(second->wait_closed());

  EXPECT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms)
      << "clients that answer the close need no deadline";
  EXPECT_EQ(first->close_code(), 1001);
  EXPECT_EQ(second->close_code(), 1001);
  EXPECT_TRUE(feed(0)->ended());
  EXPECT_TRUE(feed(1)->ended());
}

TEST_F(WebSocketTest, StopDoesNotWaitLongForAClientThatNeverReads) {
  add_route();
  auto options = test_options();
  options.shutdown_grace = 30s;  // the close's own bound must end it, not the grace
  start(options);
  auto deaf = connected({.slow = true});
  ASSERT_TRUE(deaf);
  // Fill its socket so that even the close frame cannot be written.
  auto messages = feed(0);
  const std::string padding(1000, 'p');
  for (int i = 0; i < 200 && !messages->closing(); ++i) messages->push(text(padding));

  const auto started = std::chrono::steady_clock::now();
  auto stopped = stop();

  EXPECT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3500ms);
  EXPECT_TRUE(messages->ended());
}

TEST(WebSocketConfigTest, KeysHaveTheirDefaultsAndBounds) {
  const auto defaults = load_config({}, std::nullopt);
  EXPECT_EQ(defaults.ws_max_clients, 100u);
  EXPECT_EQ(defaults.ws_ping_interval, 15s);
  EXPECT_EQ(defaults.ws_queue_messages, 1024u);
  EXPECT_EQ(defaults.ws_queue_bytes, 4194304u);
  EXPECT_EQ(defaults.events_recent_max, 10000u);

  const auto set = load_config({{"WS_MAX_CLIENTS", "7"},
                                {"WS_PING_INTERVAL", "2.5"},
                                {"WS_QUEUE_MESSAGES", "64"},
                                {"WS_QUEUE_BYTES", "65536"},
                                {"EVENTS_RECENT_MAX", "500"}},
                               std::nullopt);
  EXPECT_EQ(set.ws_max_clients, 7u);
  EXPECT_EQ(set.ws_ping_interval, 2500ms);
  EXPECT_EQ(set.ws_queue_messages, 64u);
  EXPECT_EQ(set.ws_queue_bytes, 65536u);
  EXPECT_EQ(set.events_recent_max, 500u);

  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"WS_MAX_CLIENTS", "0"},
                                                        {"WS_PING_INTERVAL", "0"},
                                                        {"WS_PING_INTERVAL", "soon"},
                                                        {"WS_QUEUE_MESSAGES", "0"},
                                                        {"WS_QUEUE_BYTES", "10"},
                                                        {"EVENTS_RECENT_MAX", "-1"}}) {
    try {
      load_config({{key, value}}, std::nullopt);
      ADD_FAILURE() << key << "=" << value << " was accepted";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace opsdb::http
