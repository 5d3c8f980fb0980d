// WS /ws/events and WS /api/transfer/ws/overview against the real server and stack: every
// transaction event reaches a client within a second of the change it reports, in order,
// whichever server process of the site caused it, across a Redis restart; a slow client is
// dropped without holding up the others or the server's memory; a client that reconnects
// resumes where it was.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/secondary_site.hpp"
#include "support/stack.hpp"
#include "support/websocket_client.hpp"

namespace opsdb::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Resident memory of a process, in KiB (VmRSS of /proc/<pid>/status).
long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class EventsTest : public SecondarySiteFixture {
 protected:
  // A buffered start of an observation; its transaction id.
  std::string start_observation(std::uint16_t on_port = 0) {
    auto r = http_json(on_port ? on_port : port(), "POST", "/executed_obs_units/start",
                       {{"obs_unit_id", 1}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("transaction_id", "");
  }

  std::unique_ptr<WebSocketClient> subscribe(const std::string& target = "/ws/events",
                                             std::uint16_t on_port = 0,
                                             const WebSocketOptions& options = {}) {
    auto connected = WebSocketClient::connect(on_port ? on_port : port(), target, {}, options);
    EXPECT_EQ(connected.response.status, 101) << connected.response.body;
    return std::move(connected.client);
  }

  std::string state(const std::string& tx) {
    auto r = http_get(port(), "/transactions/" + tx);
    return r.status == 200 ? r.json().value("state", "") : std::string{};
  }

  // Reads events and the transaction's state side by side until the event `kind` of `tx` came
  // and its state says so; fails unless the event came within a second of the state change
  // (as this loop saw it, within 50 ms).
  void expect_event_with_state(WebSocketClient& ws, const std::string& tx, const std::string& kind,
                               std::vector<std::string>& order) {
    std::optional<SteadyClock::time_point> event_at, state_at;
    const auto deadline = SteadyClock::now() + 30s;
    while ((!event_at || !state_at) && SteadyClock::now() < deadline) {
      if (auto message = ws.next(25ms)) {
        auto event = json::parse(*message);
        if (event.value("transaction_id", "") == tx) {
          order.push_back(event["event"]);
          if (event["event"] == kind) event_at = SteadyClock::now();
        }
      }
      if (!state_at && state(tx) == kind) state_at = SteadyClock::now();
    }
    ASSERT_TRUE(event_at) << "no " << kind << " event for " << tx;
    ASSERT_TRUE(state_at) << tx << " never became " << kind;
    EXPECT_LT(*event_at - *state_at, 1s) << kind << " event late";
  }
};

TEST_F(EventsTest, BufferedAppliedReplicatedInOrderEachWithinASecondOfItsChange) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  auto ws = subscribe();
  ASSERT_TRUE(ws);
  ASSERT_EQ(stop_main(), 0);
  const auto written = SteadyClock::now();
  const auto tx = start_observation();
  std::vector<std::string> order;
  auto first = ws->next(1s);
  ASSERT_TRUE(first) << "no buffered event within 1 s of the 201";
  auto buffered = json::parse(*first);
  EXPECT_EQ(buffered["event"], "buffered");
  EXPECT_EQ(buffered["transaction_id"], tx);
  EXPECT_EQ(buffered["table"], "executed_obs_unit");
  EXPECT_EQ(buffered["origin"], "POST /executed_obs_units/start");
  EXPECT_FALSE(buffered["record_ids"].empty());
  EXPECT_EQ(buffered["obs_unit_id"], 1);
  EXPECT_TRUE(buffered["id"].is_string());
  EXPECT_LT(SteadyClock::now() - written, 1s);
  order.push_back("buffered");

  // The main DB back, the replica paused: applied, and no replicated before it resumes.
  ASSERT_EQ(pause_replica(), 0);
  ASSERT_EQ(start_main(), 0);
  ASSERT_NO_FATAL_FAILURE(expect_event_with_state(*ws, tx, "applied", order));
  auto until = SteadyClock::now() + 1500ms;
  while (SteadyClock::now() < until) {
    if (auto message = ws->next(100ms)) {
      EXPECT_NE(json::parse(*message)["event"], "replicated") << "replicated while paused";
    }
  }
  ASSERT_EQ(resume_replica(), 0);
  ASSERT_NO_FATAL_FAILURE(expect_event_with_state(*ws, tx, "replicated", order));
  EXPECT_EQ(order, (std::vector<std::string>{"buffered", "applied", "replicated"}));
}

TEST_F(EventsTest, AClientOfOneProcessSeesTheWritesOfAnother) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  ServerProcess other(secondary_env(site_));
  auto ws = subscribe("/ws/events?event=buffered,applied", other.port());
  ASSERT_TRUE(ws);
  const auto tx = start_observation();  // on the first process
  std::vector<std::string> kinds;
  const auto deadline = SteadyClock::now() + 15s;
  while (kinds.size() < 2 && SteadyClock::now() < deadline) {
    if (auto message = ws->next(200ms)) {
      auto event = json::parse(*message);
      if (event["transaction_id"] == tx) kinds.push_back(event["event"]);
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"buffered", "applied"}));
}

TEST_F(EventsTest, EventsFlowAgainAfterARedisRestartWithoutReconnecting) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  auto ws = subscribe("/ws/events?event=buffered");
  ASSERT_TRUE(ws);
  ASSERT_EQ(stop_redis(), 0);
  ASSERT_EQ(start_redis(), 0);
  // Writes are buffered again once the server is back on Redis (until then they are journaled,
  // and their events come when the journal is replayed).
  std::string tx;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
        if (r.status != 201 || r.json().value("status", "") != "buffered") return false;
        tx = r.json().value("transaction_id", "");
        return true;
      },
      20s, 100ms));
  std::optional<std::string> seen;
  const auto deadline = SteadyClock::now() + 5s;
  while (!seen && SteadyClock::now() < deadline) {
    auto message = ws->next(200ms);
    if (message && json::parse(*message)["transaction_id"] == tx) seen = message;
  }
  EXPECT_TRUE(seen) << "no event after the restart";
  EXPECT_FALSE(ws->closed()) << "the client had to reconnect";
}

TEST_F(EventsTest, AReconnectingClientResumesFromTheLastEventItSaw) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  ASSERT_EQ(stop_main(), 0);  // only buffered events: the test knows how many come
  auto ws = subscribe();
  ASSERT_TRUE(ws);
  const auto first_tx = start_observation();
  auto first = ws->next(2s);
  ASSERT_TRUE(first);
  const std::string last_seen = json::parse(*first)["id"];
  ws->close();
  const auto second_tx = start_observation();
  const auto third_tx = start_observation();

  auto resumed = subscribe("/ws/events?since=" + last_seen);
  ASSERT_TRUE(resumed);
  std::vector<std::string> txs;
  while (auto message = resumed->next(1s)) txs.push_back(json::parse(*message)["transaction_id"]);
  EXPECT_EQ(txs, (std::vector<std::string>{second_tx, third_tx}));

  auto bad = WebSocketClient::connect(port(), "/ws/events?since=yesterday");
  EXPECT_EQ(bad.response.status, 400) << bad.response.body;
  auto unknown = WebSocketClient::connect(port(), "/ws/events?event=exploded");
  EXPECT_EQ(unknown.response.status, 400) << unknown.response.body;
}

TEST_F(EventsTest, ASlowClientIsDroppedWhileAFastOneSeesEveryEventWithinASecond) {
  ASSERT_NO_FATAL_FAILURE(start_server({{"WS_QUEUE_MESSAGES", "256"}}));
  ASSERT_EQ(stop_main(), 0);  // one event per write
  WebSocketOptions slow_options;
  slow_options.slow = true;
  auto slow = subscribe("/ws/events", 0, slow_options);
  auto fast = subscribe();
  ASSERT_TRUE(slow && fast);
  const long rss_before = rss_kib(server_->pid());

  constexpr int kWrites = 2000;
  std::mutex mutex;
  std::map<std::string, SteadyClock::time_point> acked, received;
  std::atomic<bool> writing{true};
  std::thread reader([&] {
    while (true) {
      auto message = fast->next(500ms);
      if (!message) {
        if (!writing) break;
        continue;
      }
      std::lock_guard lock(mutex);
      received[json::parse(*message)["transaction_id"]] = SteadyClock::now();
    }
  });
  long rss_peak = rss_before;
  for (int i = 0; i < kWrites; ++i) {
    auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
    ASSERT_EQ(r.status, 201) << r.body;
    std::lock_guard lock(mutex);
    acked[r.json()["transaction_id"]] = SteadyClock::now();
    if (i % 200 == 0) rss_peak = std::max(rss_peak, rss_kib(server_->pid()));
  }
  writing = false;
  reader.join();
  rss_peak = std::max(rss_peak, rss_kib(server_->pid()));

  ASSERT_EQ(received.size(), acked.size()) << "the fast client missed events";
  std::chrono::nanoseconds worst{0};
  for (const auto& [tx, at] : acked) {
    ASSERT_TRUE(received.contains(tx));
    worst = std::max(worst, std::chrono::nanoseconds(received[tx] - at));
  }
  EXPECT_LT(worst, 1s) << "an event reached the fast client late";
  EXPECT_TRUE(slow->wait_closed(10s)) << "the slow client was not dropped";
  if (slow->close_code() != 0) EXPECT_EQ(slow->close_code(), 1013) << slow->close_reason();
  EXPECT_FALSE(fast->closed());
  std::printf(
      "[ memory ] server RSS %ld KiB before, %ld KiB at most during %d writes; "
      "slow client closed with %d; fast client's worst delay %.1f ms\n",
      rss_before, rss_peak, kWrites, slow->close_code(),
      std::chrono::duration<double, std::milli>(worst).count());
  RecordProperty("rss_before_kib", std::to_string(rss_before));
  RecordProperty("rss_peak_kib", std::to_string(rss_peak));
#if !defined(__SANITIZE_ADDRESS__)
  // (AddressSanitizer's quarantine keeps freed memory: its RSS says nothing about bounds.)
  EXPECT_LT(rss_peak - rss_before, 64 * 1024) << "the server's memory grew by more than 64 MiB";
#endif
}

TEST_F(EventsTest, TheOverviewSocketPushesAfterAPackageIsCreated) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  auto ws = subscribe("/api/transfer/ws/overview");
  ASSERT_TRUE(ws);
  auto first = ws->next(3s);
  ASSERT_TRUE(first) << "no overview at connect";
  auto before = json::parse(*first);
  ASSERT_TRUE(before.contains("buffer")) << before.dump();

  auto obs = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  ASSERT_EQ(obs.status, 201) << obs.body;
  auto file = http_json(port(), "POST", "/raw_data_files/",
                        {{"name", "ws.fits"},
                         {"relative_path", "ws-overview/" + site_ + "/ws.fits"},
                         {"executed_obs_unit_id", obs.json()["id"]},
                         {"instrument_module_id", 1},
                         {"size_bytes", 10},
                         {"checksum", "sha256:ws"}});
  ASSERT_EQ(file.status, 201) << file.body;
  const auto asked = SteadyClock::now();
  auto package = http_json(port(), "POST", "/raw_data_package/",
                           {{"name", "ws-" + site_},
                            {"executed_obs_unit_id", obs.json()["id"]},
                            {"instrument_module_id", 1},
                            {"raw_data_file_ids", json::array({file.json()["id"]})}});
  ASSERT_EQ(package.status, 201) << package.body;
  // Pushed because it changed: within the debounce interval and a little more.
  std::optional<json> changed;
  const auto deadline = SteadyClock::now() + 5s;
  while (!changed && SteadyClock::now() < deadline) {
    auto message = ws->next(250ms);
    if (!message) continue;
    auto doc = json::parse(*message);
    if (doc["packages"] != before["packages"]) changed = doc;
  }
  ASSERT_TRUE(changed) << "no push with the new package; had " << before.dump();
  EXPECT_LT(SteadyClock::now() - asked, 3s);
}

// The main site writes straight to the database: its clients get `applied` with the commit's LSN,
// and a resume there (no events stream) is told it missed what it missed.
TEST(MainSiteEventsTest, AWriteIsAnnouncedAppliedWithItsLsn) {
  ServerProcess server(std::map<std::string, std::string>{{"SITE_TYPE", "main"}});
  auto connected = WebSocketClient::connect(server.port(), "/ws/events");
  ASSERT_EQ(connected.response.status, 101) << connected.response.body;
  auto r = http_json(server.port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto message = connected.client->next(1s);
  ASSERT_TRUE(message) << "no event within 1 s of the 201";
  auto event = json::parse(*message);
  EXPECT_EQ(event["event"], "applied");
  EXPECT_EQ(event["transaction_id"], r.json()["transaction_id"]);
  EXPECT_TRUE(event["lsn"].is_string()) << *message;
  EXPECT_EQ(event["record_ids"][0], r.json()["id"]);

  auto resumed =
      WebSocketClient::connect(server.port(), "/ws/events?since=" + event["id"].get<std::string>());
  ASSERT_EQ(resumed.response.status, 101);
  auto gap = resumed.client->next(1s);
  ASSERT_TRUE(gap);
  EXPECT_EQ(json::parse(*gap)["event"], "gap");
}

}  // namespace
}  // namespace opsdb::test
