#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "opsdb/core/error.hpp"
#include "opsdb/http/router.hpp"
#include "opsdb/http/server.hpp"
#include "support/loopback_server.hpp"
#include "support/wait.hpp"

namespace opsdb::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

using BeastResponse = bhttp::response<bhttp::string_body>;

// Upper bound for anything a test waits for; reached only when the behaviour under test is broken.
constexpr auto kDeadline = 5s;

tcp::endpoint server_endpoint(std::uint16_t port) {
  return {asio::ip::make_address("127.0.0.1"), port};
}

// A blocking HTTP client on its own io_context. Reads run with a deadline so that a broken server
// fails the test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) { socket_.connect(server_endpoint(port)); }

  void send_raw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  void send(bhttp::verb method, const std::string& target, const std::string& body = {},
            bool keep_alive = true) {
    bhttp::request<bhttp::string_body> request{method, target, 11};
    request.set(bhttp::field::host, "127.0.0.1");
    request.keep_alive(keep_alive);
    request.body() = body;
    request.prepare_payload();
    bhttp::write(socket_, request);
  }

  BeastResponse read_response() {
    BeastResponse response;
    std::optional<boost::system::error_code> result;
    bhttp::async_read(socket_, buffer_, response,
                      [&](boost::system::error_code ec, std::size_t) { result = ec; });
    run_until_done(result);
    if (*result) throw std::runtime_error("reading a response failed: " + result->message());
    return response;
  }

  // A response to HEAD announces a body length but carries no body.
  BeastResponse read_head_response() {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(true);
    std::optional<boost::system::error_code> result;
    bhttp::async_read(socket_, buffer_, parser,
                      [&](boost::system::error_code ec, std::size_t) { result = ec; });
    run_until_done(result);
    if (*result) throw std::runtime_error("reading a response failed: " + result->message());
    return parser.release();
  }

  BeastResponse get(const std::string& target) {
    send(bhttp::verb::get, target);
    return read_response();
  }

  // Waits for the server to end the connection and returns how it ended (eof for a clean close).
  // Any byte arriving first counts as "not closed".
  boost::system::error_code wait_closed() {
    if (buffer_.size() > 0) return {};
    std::optional<boost::system::error_code> result;
    socket_.async_read_some(asio::buffer(scratch_),
                            [&](boost::system::error_code ec, std::size_t) { result = ec; });
    run_until_done(result);
    return *result;
  }

 private:
  void run_until_done(std::optional<boost::system::error_code>& result) {
    io_.restart();
    io_.run_for(kDeadline);
    if (result) return;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
    throw std::runtime_error("no answer from the server within the deadline");
  }

  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::array<char, 256> scratch_{};
};

json error_of(const BeastResponse& response) {
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  const auto document = json::parse(response.body());
  EXPECT_EQ(document.at("error").size(), 3u) << response.body();
  EXPECT_TRUE(document.at("error").at("message").is_string());
  return document.at("error");
}

Handler reply_with(int status, std::string body) {
  return [status, body = std::move(body)](const RequestContext&, const Request&, const PathParams&,
                                          Respond respond) {
    Response response;
    response.status = status;
    response.body = body;
    respond(std::move(response));
  };
}

// Answers with what the server made of the request.
void echo_request(const RequestContext&, const Request& request, const PathParams& params,
                  Respond respond) {
  Response response;
  response.body =
      json{{"method", request.method}, {"target", request.target},   {"path", request.path},
           {"query", request.query},   {"headers", request.headers}, {"params", params},
           {"body", request.body}}
          .dump();
  respond(std::move(response));
}

class HttpServerTest : public ::testing::Test {
 protected:
  static ServerOptions test_options() { return test::loopback_server_options(); }

  void add(std::string method, std::string pattern, Handler handler) {
    router_->add({std::move(method), std::move(pattern), Role::open, std::move(handler)});
  }

  // Starts the server with the routes added so far; the io_context runs on two threads so that
  // the per-connection strands matter.
  void start(ServerOptions options = test_options()) {
    server_ = std::make_unique<Server>(io_, options, router_);
    server_->start();
    ASSERT_NE(server_->port(), 0);
    for (int i = 0; i < 2; ++i) io_threads_.emplace_back([this] { io_.run(); });
  }

  // Calls stop(); the future becomes ready when on_stopped has run, holding whether it ran on
  // one of the io_context's threads.
  std::future<bool> stop() {
    auto stopped = std::make_shared<std::promise<bool>>();
    auto future = stopped->get_future();
    stop_called_ = true;
    server_->stop([this, stopped] {
      const auto me = std::this_thread::get_id();
      bool on_io_thread = false;
      for (const auto& thread : io_threads_) on_io_thread = on_io_thread || thread.get_id() == me;
      stopped->set_value(on_io_thread);
    });
    return future;
  }

  // A thread standing in for a database worker; joined before the server goes away.
  void spawn(std::function<void()> work) {
    std::lock_guard lock(workers_mutex_);
    workers_.emplace_back(std::move(work));
  }

  void shut_down() {
    if (server_ && !stop_called_) {
      auto stopped = stop();
      EXPECT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
    }
    {
      std::lock_guard lock(workers_mutex_);
      for (auto& worker : workers_) worker.join();
      workers_.clear();
    }
    work_.reset();
    io_.stop();
    for (auto& thread : io_threads_) thread.join();
    io_threads_.clear();
    server_.reset();
  }

  void TearDown() override { shut_down(); }

  std::uint16_t port() const { return server_->port(); }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::shared_ptr<Router> router_ = std::make_shared<Router>();
  std::unique_ptr<Server> server_;
  std::vector<std::thread> io_threads_;
  std::mutex workers_mutex_;
  std::vector<std::thread> workers_;
  bool stop_called_ = false;
};

TEST_F(HttpServerTest, ReturnsHandlerStatusBodyAndHeaders) {
  add("GET", "/hello",
      [](const RequestContext&, const Request&, const PathParams&, Respond respond) {
        Response response;
        response.status = 202;
        response.content_type = "text/plain; charset=utf-8";
        response.body = "hello, world";
        response.headers.emplace_back("X-Request-Id", "abc-123");
        respond(std::move(response));
      });
  start();
  Client client(port());

  const auto response = client.get("/hello");

  EXPECT_EQ(response.result_int(), 202);
  EXPECT_EQ(response.body(), "hello, world");
  EXPECT_EQ(response[bhttp::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(response[bhttp::field::content_length], "12");
  EXPECT_EQ(response[bhttp::field::server], "ops-db-api");
  EXPECT_EQ(response["X-Request-Id"], "abc-123");
  EXPECT_TRUE(response.keep_alive());
}

TEST_F(HttpServerTest, EveryRequestHasAnIdItsHandlerSeesAndTheResponseEchoes) {
  std::mutex mutex;
  std::vector<std::string> seen;
  add("GET", "/id",
      [&](const RequestContext& context, const Request&, const PathParams&, Respond respond) {
        {
          std::lock_guard lock(mutex);
          seen.push_back(context.request_id);
        }
        respond(Response{});
      });
  start();
  Client client(port());

  client.send_raw("GET /id HTTP/1.1\r\nHost: x\r\nX-Request-Id: client-7.a_b:c\r\n\r\n");
  const auto given = client.read_response();
  client.send_raw("GET /id HTTP/1.1\r\nHost: x\r\nX-Request-Id: two words\r\n\r\n");
  const auto insane = client.read_response();
  const auto generated = client.get("/id");
  const auto unrouted = client.get("/nowhere");

  EXPECT_EQ(given["X-Request-Id"], "client-7.a_b:c");
  EXPECT_NE(insane["X-Request-Id"], "two words");
  EXPECT_FALSE(insane["X-Request-Id"].empty());
  EXPECT_FALSE(generated["X-Request-Id"].empty());
  EXPECT_NE(generated["X-Request-Id"], insane["X-Request-Id"]);
  EXPECT_FALSE(unrouted["X-Request-Id"].empty());
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, (std::vector<std::string>{"client-7.a_b:c", std::string(insane["X-Request-Id"]),
                                            std::string(generated["X-Request-Id"])}));
}

TEST_F(HttpServerTest, UnknownRouteGetsRouterJson404) {
  start();
  Client client(port());

  const auto response = client.get("/missing");

  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(error_of(response).at("code"), "not_found");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::atomic<int> calls{0};
  add("GET", "/count",
      [&](const RequestContext&, const Request&, const PathParams&, Respond respond) {
        Response response;
        response.body = std::to_string(++calls);
        respond(std::move(response));
      });
  start();
  Client client(port());

  const auto first = client.get("/count");
  const auto second = client.get("/count");
  client.send(bhttp::verb::get, "/count", {}, /*keep_alive=*/false);
  const auto last = client.read_response();

  EXPECT_EQ(first.body(), "1");
  EXPECT_TRUE(first.keep_alive());
  EXPECT_EQ(second.body(), "2");
  EXPECT_TRUE(second.keep_alive());
  EXPECT_EQ(last.body(), "3");
  EXPECT_FALSE(last.keep_alive());
  EXPECT_EQ(client.wait_closed(), asio::error::eof);
}

TEST_F(HttpServerTest, HeadResponseCarriesLengthButNoBody) {
  add("HEAD", "/hello", reply_with(200, "hello"));
  start();
  Client client(port());

  client.send(bhttp::verb::head, "/hello");
  const auto head = client.read_head_response();
  // The connection stays in step: the next response is read correctly.
  const auto next = client.get("/missing");

  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[bhttp::field::content_length], "5");
  EXPECT_EQ(head.body(), "");
  EXPECT_EQ(next.result_int(), 404);
  EXPECT_EQ(error_of(next).at("code"), "not_found");
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  add("GET", "/echo/{word}",
      [](const RequestContext&, const Request&, const PathParams& params, Respond respond) {
        Response response;
        response.body = params.at("word");
        respond(std::move(response));
      });
  start();
  Client client(port());

  client.send_raw(
      "GET /echo/one HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /echo/two HTTP/1.1\r\nHost: x\r\n\r\n");

  EXPECT_EQ(client.read_response().body(), "one");
  EXPECT_EQ(client.read_response().body(), "two");
}

TEST_F(HttpServerTest, DecodesPathQueryAndLowerCasesHeaderNames) {
  add("POST", "/{name}", echo_request);
  start();
  Client client(port());

  client.send_raw(
      "post /a%20b?x=1&y=%2F&z=a+b HTTP/1.1\r\nHost: x\r\nX-Custom-Header: Value\r\n"
      "Accept: a\r\nAccept: b\r\nContent-Length: 4\r\n\r\nbody");
  const auto response = client.read_response();

  ASSERT_EQ(response.result_int(), 200) << response.body();
  const auto seen = json::parse(response.body());
  EXPECT_EQ(seen.at("method"), "POST");
  EXPECT_EQ(seen.at("target"), "/a%20b?x=1&y=%2F&z=a+b");
  EXPECT_EQ(seen.at("path"), "/a b");
  EXPECT_EQ(seen.at("query"), (json{{"x", "1"}, {"y", "/"}, {"z", "a b"}}));
  EXPECT_EQ(seen.at("params"), (json{{"name", "a b"}}));
  EXPECT_EQ(seen.at("headers").at("x-custom-header"), "Value");
  EXPECT_EQ(seen.at("headers").at("accept"), "a, b");
  EXPECT_EQ(seen.at("body"), "body");
}

TEST_F(HttpServerTest, BadPercentEscapeInTargetIs400) {
  add("GET", "/{name}", echo_request);
  start();
  Client client(port());

  const auto response = client.get("/a%zzb");

  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(error_of(response).at("code"), "bad_request");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.wait_closed(), asio::error::eof);
}

// Percent-escapes that decode to bytes that are not UTF-8 (or to NUL), in the path or in the
// query, cannot be quoted in an answer nor stored: the target is refused before any handler.
TEST_F(HttpServerTest, TargetDecodingToBytesThatAreNotUtf8Is400) {
  add("GET", "/{name}", echo_request);
  start();
  for (const char* target :
       {"/a%FFb", "/a%C0%AF", "/a%ED%A0%80", "/a?x=%FF", "/a?%FE=1", "/a%00b"}) {
    Client client(port());
    const auto response = client.get(target);
    EXPECT_EQ(response.result_int(), 400) << target;
    EXPECT_EQ(error_of(response).at("code"), "bad_request") << target;
  }
  // Percent-encoded UTF-8 is fine.
  Client client(port());
  const auto response = client.get("/caf%C3%A9");
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(json::parse(response.body()).at("path"), "/caf\xC3\xA9");
}

// Found by the request_target fuzz target: "http:a/b" parsed as an absolute URI whose path
// "a/b" does not start with '/', and was routed as if it were "/a/b".
TEST_F(HttpServerTest, AnAbsoluteUriWithARelativePathIs400) {
  add("GET", "/{name}/{id}", echo_request);
  start();
  Client client(port());
  const auto response = client.get("http:executed_obs_units/1");
  EXPECT_EQ(response.result_int(), 400) << response.body();
  EXPECT_EQ(error_of(response).at("code"), "bad_request");
  Client absolute(port());
  EXPECT_EQ(absolute.get("http://example.org/executed_obs_units/1").result_int(), 200);
}

TEST_F(HttpServerTest, BodyOverLimitIs413AndConnectionCloses) {
  std::atomic<int> calls{0};
  add("POST", "/upload",
      [&](const RequestContext&, const Request&, const PathParams&, Respond respond) {
        ++calls;
        respond(Response{});
      });
  auto options = test_options();
  options.body_limit = 16;
  start(options);
  Client client(port());

  client.send(bhttp::verb::post, "/upload", std::string(16, 'a'));
  const auto at_limit = client.read_response();
  client.send(bhttp::verb::post, "/upload", std::string(17, 'a'));
  const auto over_limit = client.read_response();

  EXPECT_EQ(at_limit.result_int(), 200);
  EXPECT_EQ(over_limit.result_int(), 413);
  const auto error = error_of(over_limit);
  EXPECT_EQ(error.at("code"), "payload_too_large");
  EXPECT_EQ(error.at("details"), (json{{"limit_bytes", 16}}));
  EXPECT_FALSE(over_limit.keep_alive());
  EXPECT_EQ(client.wait_closed(), asio::error::eof);
  EXPECT_EQ(calls, 1);
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIs413) {
  add("POST", "/upload", reply_with(200, "stored"));
  auto options = test_options();
  options.body_limit = 16;
  start(options);
  Client client(port());

  client.send_raw(
      "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");
  const auto response = client.read_response();

  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(error_of(response).at("code"), "payload_too_large");
}

TEST_F(HttpServerTest, HeaderOverLimitIs431AndConnectionCloses) {
  std::atomic<int> calls{0};
  add("GET", "/hello",
      [&](const RequestContext&, const Request&, const PathParams&, Respond respond) {
        ++calls;
        respond(Response{});
      });
  auto options = test_options();
  options.header_limit = 1024;
  start(options);
  Client client(port());

  client.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2048, 'b') +
                  "\r\n\r\n");
  const auto response = client.read_response();

  EXPECT_EQ(response.result_int(), 431);
  const auto error = error_of(response);
  EXPECT_EQ(error.at("details"), (json{{"limit_bytes", 1024}}));
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.wait_closed(), asio::error::eof);
  EXPECT_EQ(calls, 0);
}

TEST_F(HttpServerTest, MalformedRequestIs400AndConnectionCloses) {
  add("GET", "/hello", reply_with(200, "hi"));
  start();
  Client client(port());

  client.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\nBroken Header\r\n\r\n");
  const auto response = client.read_response();

  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(error_of(response).at("code"), "bad_request");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.wait_closed(), asio::error::eof);
}

TEST_F(HttpServerTest, EveryAnsweredRequestIsReportedWithItsRoutePatternNotItsPath) {
  struct Seen {
    std::string route, method;
    int status;
    bool operator==(const Seen&) const = default;
  };
  std::mutex mutex;
  std::vector<Seen> seen;
  add("GET", "/units/{id}", reply_with(200, "unit"));
  auto options = test_options();
  options.on_request = [&](const RequestRecord& r) {
    EXPECT_GE(r.took.count(), 0);
    std::lock_guard lock(mutex);
    seen.push_back({std::string(r.route), std::string(r.method), r.status});
  };
  start(options);
  Client client(port());
  EXPECT_EQ(client.get("/units/42").result_int(), 200);
  EXPECT_EQ(client.get("/units/7").result_int(), 200);
  EXPECT_EQ(client.get("/missing/42").result_int(), 404);
  client.send_raw("DELETE /units/42 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(client.read_response().result_int(), 405);
  Client broken(port());
  broken.send_raw("GET /units/42 HTTP/1.1\r\nHost: x\r\nBroken Header\r\n\r\n");
  EXPECT_EQ(broken.read_response().result_int(), 400);

  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, (std::vector<Seen>{{"/units/{id}", "GET", 200},
                                     {"/units/{id}", "GET", 200},
                                     {"", "GET", 404},
                                     {"", "DELETE", 405},
                                     {"", "GET", 400}}));
}

TEST_F(HttpServerTest, GarbageInsteadOfRequestLineIs400) {
  start();
  Client client(port());

  client.send_raw("\x01\x02 this is not HTTP\r\n\r\n");
  const auto response = client.read_response();

  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(error_of(response).at("code"), "bad_request");
}

TEST_F(HttpServerTest, HandlerMayRespondFromAnotherThread) {
  add("GET", "/async/{n}",
      [this](const RequestContext&, const Request&, const PathParams& params, Respond respond) {
        spawn([respond, n = params.at("n")] {
          Response response;
          response.status = 201;
          response.body = "worker " + n;
          respond(std::move(response));
        });
      });
  start();
  Client first(port());
  Client second(port());

  // Interleaved on two connections, each answered from its own worker thread.
  first.send(bhttp::verb::get, "/async/1");
  second.send(bhttp::verb::get, "/async/2");
  const auto second_response = second.read_response();
  const auto first_response = first.read_response();
  const auto again = first.get("/async/3");

  EXPECT_EQ(first_response.result_int(), 201);
  EXPECT_EQ(first_response.body(), "worker 1");
  EXPECT_EQ(second_response.body(), "worker 2");
  EXPECT_EQ(again.body(), "worker 3");
}

TEST_F(HttpServerTest, RequestLogLineHasMethodPathStatusDurationAndPeerButNoQuery) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  sink->set_pattern("%v");
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("http_server_test", sink));
  add("GET", "/secret", reply_with(200, "ok"));
  start();
  {
    Client client(port());
    client.send_raw(
        "GET /secret?token=hunter2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hunter2\r\n\r\n");
    EXPECT_EQ(client.read_response().result_int(), 200);
  }
  shut_down();
  spdlog::set_default_logger(previous);

  std::vector<std::string> request_lines;
  for (auto line : sink->last_formatted()) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
    if (line.rfind("GET ", 0) == 0) request_lines.push_back(line);
  }
  ASSERT_EQ(request_lines.size(), 1u);
  EXPECT_TRUE(std::regex_match(request_lines[0],
                               std::regex(R"(GET /secret 200 \d+\.\d{3}ms 127\.0\.0\.1)")))
      << request_lines[0];
}

TEST_F(HttpServerTest, StopLetsRequestInFlightFinishAndRefusesNewConnections) {
  std::promise<void> handler_called;
  std::promise<void> stop_called;
  auto stop_called_future = stop_called.get_future().share();
  add("GET", "/slow",
      [&, stop_called_future](const RequestContext&, const Request&, const PathParams&,
                              Respond respond) {
        handler_called.set_value();
        spawn([respond, stop_called_future] {
          // Answers only once stop() has been called, and then 300 ms later.
          stop_called_future.wait();
          std::this_thread::sleep_for(300ms);
          Response response;
          response.body = std::string(100'000, 's');
          respond(std::move(response));
        });
      });
  start();
  const auto bound_port = port();
  Client busy(bound_port);
  busy.send(bhttp::verb::get, "/slow");
  ASSERT_EQ(handler_called.get_future().wait_for(kDeadline), std::future_status::ready);

  auto stopped = stop();
  stop_called.set_value();

  tcp::socket late(io_);
  boost::system::error_code connect_error;
  late.connect(server_endpoint(bound_port), connect_error);
  EXPECT_EQ(connect_error, asio::error::connection_refused);
  EXPECT_NE(stopped.wait_for(0s), std::future_status::ready);

  const auto response = busy.read_response();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), std::string(100'000, 's'));
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(busy.wait_closed(), asio::error::eof);
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(stopped.get()) << "on_stopped must run on the io_context";
}

TEST_F(HttpServerTest, StopClosesIdleKeepAliveConnectionAtOnce) {
  add("GET", "/hello", reply_with(200, "hi"));
  auto options = test_options();
  options.shutdown_grace = 30s;  // the idle connection must not wait for it
  start(options);
  Client idle(port());
  ASSERT_EQ(idle.get("/hello").result_int(), 200);

  auto stopped = stop();

  EXPECT_EQ(idle.wait_closed(), asio::error::eof);
  EXPECT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
}

TEST_F(HttpServerTest, StopWithoutConnectionsCallsOnStopped) {
  start();

  auto stopped = stop();

  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(stopped.get());
}

TEST_F(HttpServerTest, GraceExpiryClosesBusyConnectionAndLateRespondIsHarmless) {
  std::promise<Respond> parked;
  add("GET", "/stuck",
      [&](const RequestContext&, const Request&, const PathParams&, Respond respond) {
        parked.set_value(std::move(respond));
      });
  auto options = test_options();
  options.shutdown_grace = 200ms;
  start(options);
  Client stuck(port());
  stuck.send(bhttp::verb::get, "/stuck");
  auto respond_future = parked.get_future();
  ASSERT_EQ(respond_future.wait_for(kDeadline), std::future_status::ready);
  auto respond = respond_future.get();

  const auto stop_started = std::chrono::steady_clock::now();
  auto stopped = stop();

  EXPECT_EQ(stuck.wait_closed(), asio::error::eof);
  EXPECT_GE(std::chrono::steady_clock::now() - stop_started, 200ms);
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  // The database answers after all; the closed session must drop that quietly.
  respond(Response{});
}

TEST_F(HttpServerTest, HeaderTimeoutClosesSilentConnection) {
  auto options = test_options();
  options.header_timeout = 200ms;
  start(options);

  const auto connected = std::chrono::steady_clock::now();
  Client silent(port());
  EXPECT_EQ(silent.wait_closed(), asio::error::eof);
  EXPECT_GE(std::chrono::steady_clock::now() - connected, 200ms);

  // A client that stops in the middle of its headers is cut off the same way.
  Client slow(port());
  slow.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\n");
  EXPECT_EQ(slow.wait_closed(), asio::error::eof);
  // The stream closes the socket when its timer fires, just before the session counts it.
  EXPECT_TRUE(test::wait_until([&] { return server_->stats().header_timeouts == 2u; }, 5s,
                               "both header timeouts to be counted"));
}

TEST_F(HttpServerTest, HeaderTimeoutCutsOffAClientTricklingItsHeader) {
  add("GET", "/hello", reply_with(200, "hi"));
  auto options = test_options();
  options.header_timeout = 300ms;
  start(options);
  Client slowloris(port());

  // A byte every 50 ms keeps an idle timer happy for ever; the header deadline does not move.
  const auto connected = std::chrono::steady_clock::now();
  const std::string header = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 's');
  bool cut_off = false;
  for (char c : header) {
    try {
      slowloris.send_raw(std::string(1, c));
    } catch (const boost::system::system_error&) {
      cut_off = true;
      break;
    }
    if (std::chrono::steady_clock::now() - connected > 3s) break;
    std::this_thread::sleep_for(50ms);  // the trickle itself
  }
  const auto took = std::chrono::steady_clock::now() - connected;

  EXPECT_TRUE(cut_off) << "the server kept reading a trickling header";
  EXPECT_LT(took, 2s);
  // The stream closes the socket when its timer fires, just before the session counts it.
  EXPECT_TRUE(test::wait_until([&] { return server_->stats().header_timeouts == 1u; }, 5s,
                               "the header timeout to be counted"));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  add("GET", "/hello", reply_with(200, "hi"));
  auto options = test_options();
  options.idle_timeout = 300ms;
  start(options);
  Client client(port());

  EXPECT_EQ(client.get("/hello").result_int(), 200);
  // Shorter pauses than the idle timeout keep the connection.
  std::this_thread::sleep_for(150ms);  // an idle pause shorter than the timeout
  EXPECT_EQ(client.get("/hello").result_int(), 200);
  const auto answered = std::chrono::steady_clock::now();

  EXPECT_EQ(client.wait_closed(), asio::error::eof);
  EXPECT_GE(std::chrono::steady_clock::now() - answered, 250ms);
  // The stream closes the socket when its timer fires, just before the session counts it.
  EXPECT_TRUE(test::wait_until([&] { return server_->stats().idle_timeouts == 1u; }, 5s,
                               "the idle timeout to be counted"));
  EXPECT_EQ(server_->stats().header_timeouts, 0u);
}

TEST_F(HttpServerTest, BodyTimeoutCutsOffASlowBody) {
  std::atomic<int> calls{0};
  add("POST", "/upload",
      [&](const RequestContext&, const Request&, const PathParams&, Respond respond) {
        ++calls;
        respond(Response{});
      });
  auto options = test_options();
  options.body_timeout = 300ms;
  start(options);
  Client client(port());

  const auto sent = std::chrono::steady_clock::now();
  client.send_raw("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");

  EXPECT_EQ(client.wait_closed(), asio::error::eof);
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 250ms);
  EXPECT_EQ(calls, 0);
  // The stream closes the socket when its timer fires, just before the session counts it.
  EXPECT_TRUE(test::wait_until([&] { return server_->stats().body_timeouts == 1u; }, 5s,
                               "the body timeout to be counted"));
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503AndAreCounted) {
  add("GET", "/hello", reply_with(200, "hi"));
  auto options = test_options();
  options.max_connections = 2;
  start(options);
  Client first(port());
  Client second(port());
  // Both are registered once they have been answered.
  ASSERT_EQ(first.get("/hello").result_int(), 200);
  ASSERT_EQ(second.get("/hello").result_int(), 200);

  Client third(port());
  third.send(bhttp::verb::get, "/hello");
  const auto refused = third.read_response();

  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_EQ(error_of(refused).at("code"), "unavailable");
  EXPECT_FALSE(refused.keep_alive());
  EXPECT_EQ(third.wait_closed(), asio::error::eof);
  EXPECT_EQ(server_->stats().refused_connections, 1u);
  EXPECT_EQ(server_->stats().open_connections, 2u);
  // The connections being served are not disturbed, and a freed place is taken again.
  EXPECT_EQ(first.get("/hello").result_int(), 200);
  second.send(bhttp::verb::get, "/hello", {}, /*keep_alive=*/false);
  ASSERT_EQ(second.read_response().result_int(), 200);
  ASSERT_EQ(second.wait_closed(), asio::error::eof);
  ASSERT_TRUE(test::wait_until([&] { return server_->stats().open_connections == 1; }, 5s,
                               "the closed connection to leave the count"));
  Client fourth(port());
  EXPECT_EQ(fourth.get("/hello").result_int(), 200);
}

TEST_F(HttpServerTest, PipelinedRequestsAreHandledOneAtATimeInOrder) {
  std::atomic<int> in_flight{0};
  std::atomic<int> most_in_flight{0};
  add("GET", "/slow/{word}",
      [&](const RequestContext&, const Request&, const PathParams& params, Respond respond) {
        most_in_flight = std::max(most_in_flight.load(), ++in_flight);
        spawn([&, word = params.at("word"), respond = std::move(respond)] {
          std::this_thread::sleep_for(20ms);  // a database call
          --in_flight;
          Response response;
          response.body = word;
          respond(std::move(response));
        });
      });
  add("POST", "/json",
      [](const RequestContext&, const Request& request, const PathParams&, Respond respond) {
        if (!json::accept(request.body)) {
          return respond(error_response(ApiError(ErrorKind::bad_request, "invalid JSON")));
        }
        respond(Response{});
      });
  start();
  Client client(port());

  client.send_raw(
      "GET /slow/one HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{bad}"
      "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /slow/two HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
      "GET /slow/three HTTP/1.1\r\nHost: x\r\nBroken Header\r\n\r\n"
      "GET /slow/four HTTP/1.1\r\nHost: x\r\n\r\n");

  EXPECT_EQ(client.read_response().body(), "one");
  EXPECT_EQ(client.read_response().result_int(), 400);
  EXPECT_EQ(client.read_response().result_int(), 404);
  EXPECT_EQ(client.read_response().body(), "two");
  EXPECT_EQ(client.read_response().result_int(), 200);
  // A request that cannot be framed ends the connection: nothing after it can be trusted.
  const auto malformed = client.read_response();
  EXPECT_EQ(malformed.result_int(), 400);
  EXPECT_FALSE(malformed.keep_alive());
  EXPECT_EQ(client.wait_closed(), asio::error::eof);
  EXPECT_EQ(most_in_flight, 1);
}

TEST_F(HttpServerTest, StartFailsWhenPortIsTaken) {
  start();
  auto options = test_options();
  options.port = port();

  Server second(io_, options, router_);

  EXPECT_THROW(second.start(), std::runtime_error);
}

}  // namespace
}  // namespace opsdb::http
