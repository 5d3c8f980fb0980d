// Clients that try to exhaust the server (slow headers, idle and flooding connections, header
// bombs, pipelines mixing good and bad requests) against the real server binary at a secondary
// site: the server cuts them off within its limits and keeps answering everyone else quickly.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/secondary_site.hpp"
#include "support/wait.hpp"

namespace opsdb::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;

// The open-file limit these tests need in this process (the server raises its own).
constexpr rlim_t kFilesNeeded = 8192;

void raise_file_limit() {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur >= kFilesNeeded) return;
  limit.rlim_cur = std::min(kFilesNeeded, limit.rlim_max);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_cur, kFilesNeeded) << "the hard open-file limit is too low for this test";
}

// A raw TCP connection to the server, for clients that do not behave.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      const auto error = errno;
      ::close(fd_);
      throw std::runtime_error(std::string("connect: ") + std::strerror(error));
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  /// False once the server has closed the connection (the send fails).
  bool send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// True when the server has ended the connection (end of stream or reset) within `timeout`;
  /// whatever bytes arrive before that are skipped.
  bool closed_by_server(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    char scratch[4096];
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<long long>(1, left.count()))) <= 0) continue;
      const auto n = ::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;
    }
    return false;
  }

  /// Everything the server sends until it closes or `timeout` passes.
  std::string read_all(std::chrono::milliseconds timeout) {
    std::string text;
    const auto until = std::chrono::steady_clock::now() + timeout;
    char scratch[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() < 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const auto n = ::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT);
      if (n > 0) {
        text.append(scratch, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) break;
    }
    return text;
  }

  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// The server's resident memory in MB, from /proc.
double rss_mb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

// Responses in the order they arrive on one connection, parsed from the raw bytes.
std::vector<bhttp::response<bhttp::string_body>> parse_responses(const std::string& bytes) {
  std::vector<bhttp::response<bhttp::string_body>> responses;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    boost::system::error_code ec;
    const auto used =
        parser.put(boost::asio::buffer(bytes.data() + offset, bytes.size() - offset), ec);
    if (ec || !parser.is_done()) break;
    offset += used;
    responses.push_back(parser.release());
  }
  return responses;
}

class HostileClientsTest : public SecondarySiteFixture {};

TEST_F(HostileClientsTest, SlowlorisAndIdleConnectionsLeaveANormalClientFast) {
  ASSERT_NO_FATAL_FAILURE(raise_file_limit());
  ASSERT_NO_FATAL_FAILURE(
      start_server({{"HTTP_MAX_CONNECTIONS", "2000"}, {"HTTP_HEADER_TIMEOUT", "4"}}));
  const auto opened = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<RawConnection>> idle, slow;
  for (int i = 0; i < 1000; ++i) idle.push_back(std::make_unique<RawConnection>(port()));
  for (int i = 0; i < 300; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port()));
    slow.back()->send("GET /health HTTP/1.1\r\n");
  }

  // 300 connections each add one header byte every 100 ms, for ever.
  std::atomic<bool> trickling{true};
  std::atomic<int> cut_off{0};
  std::thread trickler([&] {
    std::vector<bool> alive(slow.size(), true);
    while (trickling) {
      for (std::size_t i = 0; i < slow.size(); ++i) {
        if (alive[i] && !slow[i]->send("X")) {
          alive[i] = false;
          ++cut_off;
        }
      }
      std::this_thread::sleep_for(100ms);  // the trickle's pace
    }
  });

  std::vector<double> latencies;
  int failures = 0;
  // Measured while every hostile connection is still open (the header timeout is 4 s).
  const auto measuring = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - measuring < 2500ms &&
         std::chrono::steady_clock::now() - opened < 3500ms) {
    const auto started = std::chrono::steady_clock::now();
    const auto response = http_get(port(), "/health");
    latencies.push_back(elapsed_ms(started));
    if (response.status != 200) ++failures;
    std::this_thread::sleep_for(5ms);  // a client at a normal pace, not a load test
  }
  const auto summary = summarize(latencies);
  std::cout << "normal client beside 1000 idle and 300 slowloris connections: n=" << summary.n
            << " p50=" << summary.p50 << " ms p99=" << summary.p99 << " ms max=" << summary.max
            << " ms\n";
  EXPECT_EQ(failures, 0);
  EXPECT_GE(summary.n, 100u);
  EXPECT_LT(summary.p99, 50.0);

  // The trickling headers miss their deadline however busy they look; the silent ones too.
  EXPECT_TRUE(wait_until([&] { return cut_off == 300; }, 8s,
                         "every slowloris connection to be cut off by the header timeout"));
  trickling = false;
  trickler.join();
  EXPECT_GE(elapsed_ms(opened), 3500.0) << "cut off before the header timeout";
  int idle_closed = 0;
  for (auto& connection : idle) idle_closed += connection->closed_by_server(2s) ? 1 : 0;
  EXPECT_EQ(idle_closed, 1000);
  EXPECT_EQ(http_get(port(), "/health").status, 200);
}

TEST_F(HostileClientsTest, HeaderBombIs431AndTheServerCarriesOn) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  RawConnection bomb(port());
  std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20'000; ++i)
    request += "X-Bomb-" + std::to_string(i) + ": " + std::string(40, 'b') + "\r\n";
  request += "\r\n";  // about 1 MB of header

  std::thread sender([&] { bomb.send(request); });  // may fail once the server has answered
  const auto answer = bomb.read_all(5s);
  sender.join();

  const auto responses = parse_responses(answer);
  ASSERT_EQ(responses.size(), 1u) << answer.substr(0, 500);
  EXPECT_EQ(responses[0].result_int(), 431);
  EXPECT_EQ(nlohmann::json::parse(responses[0].body())["error"]["code"], "bad_request");
  EXPECT_FALSE(responses[0].keep_alive());
  EXPECT_EQ(http_get(port(), "/health").status, 200);
}

TEST_F(HostileClientsTest, ConnectionFloodBeyondTheLimitIsRefusedAndMemoryComesBack) {
  ASSERT_NO_FATAL_FAILURE(raise_file_limit());
  ASSERT_NO_FATAL_FAILURE(start_server({{"HTTP_MAX_CONNECTIONS", "500"}}));
  ASSERT_EQ(http_get(port(), "/health").status, 200);
  const double before = rss_mb(server_->pid());

  int refused = 0, served = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<RawConnection>> flood;
    for (int i = 0; i < 2000; ++i) {
      flood.push_back(std::make_unique<RawConnection>(port()));
      // Half a request each, with a few KB of header: what a held connection costs.
      flood.back()->send("GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'p'));
    }
    for (auto& connection : flood) {
      const auto text = connection->read_all(std::chrono::milliseconds(1));
      if (text.rfind("HTTP/1.1 503", 0) == 0) ++refused;
    }
    // The ones the server keeps get their request finished; the refused ones are gone.
    for (auto& connection : flood) {
      if (connection->send("\r\nConnection: close\r\n\r\n")) {
        const auto text = connection->read_all(100ms);
        if (text.rfind("HTTP/1.1 200", 0) == 0) ++served;
      }
    }
    EXPECT_EQ(http_get(port(), "/health").status, 200) << "round " << round;
  }
  const double peak = rss_mb(server_->pid());
  std::cout << "flood: refused " << refused << " (503 seen), served " << served << "; RSS before "
            << before << " MB, after the flood " << peak << " MB\n";
  EXPECT_GT(refused, 0) << "no connection beyond the limit was answered 503";
  EXPECT_GT(served, 0);
  // AddressSanitizer keeps freed memory in quarantine (256 MB by default) instead of handing it
  // back, so there the RSS says nothing about the server's own memory; the plain build checks it.
  if (!kAddressSanitizer) {
    EXPECT_TRUE(wait_until([&] { return rss_mb(server_->pid()) < before + 100; }, 10s,
                           "the server's RSS to be within 100 MB of where it started"));
  }
  EXPECT_EQ(http_get(port(), "/health").status, 200);
}

TEST_F(HostileClientsTest, PipelinedMixedRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  ASSERT_TRUE(wait_until(
      [&] {
        return http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 999999999}})
                   .status == 422;
      },
      10s, "the reference ids to be loaded"));
  // Until the ids were loaded an unknown obs unit is accepted (an unloaded cache never refuses
  // a write), so the buffer may already hold the probes above.
  const auto buffered_before = redis_->llen(prefix_ + "transaction_buffer");
  RawConnection client(port());
  const std::string start = R"({"obs_unit_id": 1})";
  const std::string not_json = "{obs_unit_id: 1";
  const std::string unknown_unit = R"({"obs_unit_id": 999999999})";
  auto post = [](const std::string& target, const std::string& body,
                 const std::string& authorization = default_authorization()) {
    return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
           (authorization.empty() ? "" : "Authorization: " + authorization + "\r\n") +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  ASSERT_TRUE(client.send(
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + post("/executed_obs_units/start", not_json) +
      "GET /no/such/route HTTP/1.1\r\nHost: x\r\n\r\n" + post("/executed_obs_units/start", start) +
      post("/executed_obs_units/start", unknown_unit) +
      "DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n" + post("/executed_obs_units/start", start) +
      post("/executed_obs_units/start", start, "") +
      "GET /health HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n" +
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));

  const auto responses = parse_responses(client.read_all(5s));

  const std::vector<int> expected{200, 400, 404, 201, 422, 405, 201, 401, 400};
  ASSERT_EQ(responses.size(), expected.size()) << "every request up to the malformed one";
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(responses[i].result_int(), expected[i])
        << "response " << i << ": " << responses[i].body();
  }
  // The two writes are two different transactions, answered in the order they were sent.
  const auto first = nlohmann::json::parse(responses[3].body());
  const auto second = nlohmann::json::parse(responses[6].body());
  EXPECT_NE(first["id"], second["id"]);
  EXPECT_EQ(redis_->llen(prefix_ + "transaction_buffer"), buffered_before + 2);
  EXPECT_FALSE(responses.back().keep_alive())
      << "a request that cannot be framed ends the connection";
}

// The local database hangs (SIGSTOP): reads fill the one connection and the small queue; the
// rest are refused at once, the queued ones fail after the queue wait, never after the full call
// deadline; a critical write does not wait behind them.
TEST_F(HostileClientsTest, AFullDatabaseQueueAnswers503FastFault) {
  if (!is_root()) GTEST_SKIP() << "pausing the replica needs root";
  ASSERT_NO_FATAL_FAILURE(start_server({{"DB_POOL_SIZE", "1"},
                                        {"DB_QUEUE_LIMIT", "2"},
                                        {"DB_QUEUE_TIMEOUT", "0.5"},
                                        {"LOCAL_DB_CONNECT_TIMEOUT", "2"},
                                        {"LOCAL_DB_STATEMENT_TIMEOUT", "5"}}));
  // The reference ids are loaded while the database still answers.
  ASSERT_TRUE(wait_until(
      [&] {
        return http_request(port(), "POST", "/executed_obs_units/start",
                            R"({"obs_unit_id": 999999999})")
                   .status == 422;
      },
      10s, "the reference ids to be loaded"));
  struct Resume {
    ~Resume() { resume_replica(); }
  } resume;  // whatever happens below
  ASSERT_EQ(pause_replica(), 0);

  std::vector<std::thread> readers;
  std::vector<HttpResult> results(8);
  std::vector<double> took(8);
  for (std::size_t i = 0; i < results.size(); ++i) {
    readers.emplace_back([&, i] {
      const auto started = std::chrono::steady_clock::now();
      results[i] = http_request(port(), "GET", "/executed_obs_units?obs_unit_id=1", {}, {}, 20'000);
      took[i] = elapsed_ms(started);
    });
    std::this_thread::sleep_for(20ms);  // in order: the first ones take the connection and queue
  }
  const auto write_started = std::chrono::steady_clock::now();
  const auto write =
      http_request(port(), "POST", "/executed_obs_units/start", R"({"obs_unit_id": 1})");
  const double write_ms = elapsed_ms(write_started);
  for (auto& reader : readers) reader.join();

  EXPECT_EQ(write.status, 201) << write.body;
  EXPECT_LT(write_ms, 1000.0) << "a write waited behind reads";
  int busy = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i].status != 503) continue;
    const auto details = results[i].json()["error"]["details"];
    if (details.is_object() && details.value("reason", "") == "database_busy") {
      ++busy;
      EXPECT_LT(took[i], 2000.0) << "a busy answer came late: " << results[i].body;
    }
  }
  std::cout << "reads against a hung local database: " << busy << " of " << results.size()
            << " answered 503 busy\n";
  EXPECT_GE(busy, 6) << "all but the call in progress (and perhaps one) should be refused";
}

}  // namespace
}  // namespace opsdb::test
