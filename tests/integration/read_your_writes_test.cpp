// Read your own writes at a secondary site, against the real stack: every read endpoint merges
// the local replica with what is still buffered, during an outage of the main database, while
// the replica's replay is paused, while records move from the buffer to the replica between two
// pages, and when one of the two sources cannot be reached.
#include <gtest/gtest.h>

#include <set>

#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/timestamp.hpp"
#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ReadYourWritesTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    SecondarySiteFixture::SetUp();
    // Lists are restricted to what this test wrote: the shared database holds other tests' rows.
    // (Other tests write observations that start years ahead.)
    const auto now = std::chrono::system_clock::now();
    window_ = "since=" + format_timestamp(now - 1s) + "&until=" + format_timestamp(now + 1h);
  }

  json write(const std::string& method, const std::string& target, const json& body) {
    auto r = http_json(port(), method, target, body);
    EXPECT_TRUE(r.status == 201 || r.status == 200) << method << " " << target << ": " << r.body;
    auto doc = r.json();
    txs_.push_back(doc.value("transaction_id", ""));
    return doc;
  }

  json file_body(const std::string& observation, int n) {
    const auto path = "ryw/" + site_ + "/f" + std::to_string(n) + ".fits";
    return {{"name", "f" + std::to_string(n) + ".fits"},
            {"relative_path", path},
            {"executed_obs_unit_id", observation},
            {"instrument_module_id", 1},
            {"size_bytes", 1000 + n},
            {"checksum", "sha256:" + std::to_string(n)}};
  }

  // GET that must answer 200; returns the document.
  json get(const std::string& target) {
    auto r = http_get(port(), target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    EXPECT_EQ(r.headers.count("x-opsdb-buffer"), 0u) << target;
    return r.status == 200 ? r.json() : json();
  }

  std::string list_target(int obs_unit, const std::string& extra = "") {
    return "/executed_obs_units?obs_unit_id=" + std::to_string(obs_unit) + "&" + window_ + extra;
  }

  void wait_all(const std::string& state, Millis limit = 30s) {
    for (const auto& tx : txs_) {
      json last;
      EXPECT_TRUE(wait_until(
          [&] {
            auto r = http_get(port(), "/transactions/" + tx);
            return r.status == 200 && (last = r.json()).value("state", "") == state;
          },
          limit))
          << tx << " never " << state << ": " << last.dump();
    }
  }

  // Where /transactions/{tx_id} says every written record lives now.
  void expect_location(const std::string& where) {
    for (const auto& tx : txs_) {
      auto doc = http_get(port(), "/transactions/" + tx).json();
      EXPECT_EQ(doc.value("location", ""), where) << doc.dump();
    }
  }

  // Caches a site keeps for pending writes (records, overlays, index sets, listings).
  long long cache_keys() {
    long long n = 0;
    for (const char* kind : {"buffered:", "read_buffer:", "index:", "listing:"}) {
      auto keys = redis_->command({"KEYS", prefix_ + kind + "*"});
      n += static_cast<long long>(keys.elements.size());
    }
    return n;
  }

  std::string window_;
  std::vector<std::string> txs_;
};

// What an observing night writes: a start, three files, a bulk of two, a package of all five,
// the finish. Returns the ids.
struct Night {
  std::string observation, package;
  std::vector<std::string> files;
};

class ReadYourWritesFaultTest : public ReadYourWritesTest {
 protected:
  Night observe(int obs_unit) {
    Night n;
    n.observation = write("POST", "/executed_obs_units/start", {{"obs_unit_id", obs_unit}})["id"];
    for (int i = 1; i <= 3; ++i) {
      n.files.push_back(write("POST", "/raw_data_files/", file_body(n.observation, i))["id"]);
    }
    auto bulk = write("POST", "/raw_data_files/bulk",
                      json::array({file_body(n.observation, 4), file_body(n.observation, 5)}));
    for (const auto& id : bulk["ids"]) n.files.push_back(id);
    n.package = write("POST", "/raw_data_package/",
                      {{"name", "pkg-" + site_},
                       {"executed_obs_unit_id", n.observation},
                       {"instrument_module_id", 1},
                       {"raw_data_file_ids", n.files}})["id"];
    write("PUT", "/executed_obs_units/" + n.observation + "/finish", {{"status", "completed"}});
    return n;
  }

  // Every read endpoint's answer about the night, checked for what the writes said.
  std::map<std::string, json> read_all(const Night& n, int obs_unit) {
    std::map<std::string, json> docs;
    const auto obs_target = "/executed_obs_units/" + n.observation;
    auto o = docs[obs_target] = get(obs_target);
    EXPECT_EQ(o.value("status", ""), "completed") << o.dump();
    EXPECT_TRUE(o["end_time"].is_string()) << o.dump();
    EXPECT_EQ(o["raw_data_files"].size(), 5u) << o.dump();
    for (const auto& f : o["raw_data_files"]) EXPECT_EQ(f["raw_data_package_id"], n.package);
    EXPECT_EQ(o["raw_data_packages"].size(), 1u);
    EXPECT_EQ(o["status_changes"].size(), 2u);
    for (const auto& id : n.files) {
      auto f = docs["/raw_data_files/" + id] = get("/raw_data_files/" + id);
      EXPECT_EQ(f["raw_data_package_id"], n.package);
    }
    auto p = docs["/raw_data_package/" + n.package] = get("/raw_data_package/" + n.package);
    EXPECT_EQ(p["raw_data_files"].size(), 5u) << p.dump();

    auto list = docs["list"] = get(list_target(obs_unit));
    EXPECT_EQ(list["count"], 1) << list.dump();
    if (list["items"].size() == 1) {
      EXPECT_EQ(list["items"][0]["id"], n.observation);
      EXPECT_EQ(list["items"][0]["status"], "completed");
    }
    auto completed = docs["completed"] = get(list_target(obs_unit, "&status=completed"));
    EXPECT_EQ(completed["count"], 1) << completed.dump();
    EXPECT_EQ(get(list_target(obs_unit, "&status=running"))["count"], 0);
    auto one = docs["limit=1"] = get(list_target(obs_unit, "&limit=1"));
    EXPECT_EQ(one["items"].size(), 1u);
    // The older form of the list answers the same items.
    auto compat = get("/executed_obs_units/" + std::to_string(obs_unit) + "?" + window_);
    EXPECT_EQ(compat["items"], list["items"]);
    return docs;
  }
};

TEST_F(ReadYourWritesFaultTest, EveryReadShowsBufferedWritesDuringAnOutageAndTheSameAfter) {
  start_server();
  ASSERT_EQ(stop_main(), 0);
  auto night = observe(3);
  auto during = read_all(night, 3);
  EXPECT_GT(cache_keys(), 0);
  expect_location("buffer");

  ASSERT_EQ(start_main(), 0);
  wait_all("replicated", 60s);
  EXPECT_EQ(cache_keys(), 0) << "caches left after replication";
  expect_location("replica");
  auto after = read_all(night, 3);
  // The same documents, field by field, timestamps included — now from the replica.
  for (const auto& [target, doc] : during) EXPECT_EQ(after[target], doc) << target;
}

TEST_F(ReadYourWritesFaultTest, ReadsStayCorrectWhileTheReplicaReplayIsPaused) {
  ReplayPause replay;
  start_server();
  auto night = observe(4);
  wait_all("applied");
  // On the main database, not yet on the replica: the caches answer.
  EXPECT_GT(cache_keys(), 0);
  expect_location("main");
  auto paused = read_all(night, 4);

  replay.resume();
  wait_all("replicated");
  EXPECT_EQ(cache_keys(), 0);
  auto resumed = read_all(night, 4);
  for (const auto& [target, doc] : paused) EXPECT_EQ(resumed[target], doc) << target;
}

TEST_F(ReadYourWritesFaultTest, PagesStayCorrectWhileRecordsMoveToTheReplica) {
  ReplayPause replay;
  start_server();
  std::vector<std::string> written;
  for (int i = 0; i < 24; ++i) {
    written.push_back(write("POST", "/executed_obs_units/start", {{"obs_unit_id", 5}})["id"]);
  }
  wait_all("applied");
  // Page through: after the second page the replica replays everything and the caches go, so
  // the rest of the pages come from the replica.
  std::vector<std::string> seen;
  std::string target = list_target(5, "&limit=5");
  for (int page = 0; page < 20; ++page) {
    auto doc = get(target);
    for (const auto& item : doc["items"]) seen.push_back(item["id"]);
    if (doc["next_cursor"].is_null()) break;
    target = list_target(5, "&limit=5&cursor=" + doc["next_cursor"].get<std::string>());
    if (page == 1) {
      replay.resume();
      wait_all("replicated");
      EXPECT_EQ(cache_keys(), 0);
    }
  }
  std::vector<std::string> expected(written.rbegin(), written.rend());  // newest first
  EXPECT_EQ(seen, expected);
}

TEST_F(ReadYourWritesTest, ReplicaUnreachableBufferedRecordsAreReadListsRefused) {
  // The local database is a port nothing listens on; the main database is up.
  start_server({{"LOCAL_DB_PORT", std::to_string(free_port())}, {"LOCAL_DB_CONNECT_TIMEOUT", "1"}});
  const std::string id =
      write("POST", "/executed_obs_units/start", {{"obs_unit_id", 1}})["id"];
  const std::string file = write("POST", "/raw_data_files/", file_body(id, 1))["id"];
  // Applied on the main database, but the caches stay: the replica cannot confirm it has them.
  auto doc = get("/executed_obs_units/" + id);
  EXPECT_EQ(doc["id"], id);
  ASSERT_EQ(doc["raw_data_files"].size(), 1u);
  EXPECT_EQ(doc["raw_data_files"][0]["id"], file);
  EXPECT_EQ(get("/raw_data_files/" + file)["id"], file);

  auto list = http_get(port(), "/executed_obs_units?obs_unit_id=1");
  EXPECT_EQ(list.status, 503) << list.body;
  EXPECT_NE(list.body.find("local database"), std::string::npos) << list.body;
  // A record only the replica could know about.
  auto unknown = http_get(port(), "/executed_obs_units/6f0c1c9e-0d6a-4c53-9f43-4a7f6e0d2b11");
  EXPECT_EQ(unknown.status, 503) << unknown.body;
}

TEST_F(ReadYourWritesTest, RedisUnreachableReadsComeFromTheReplicaMarked) {
  start_server();
  const std::string id = write("POST", "/executed_obs_units/start", {{"obs_unit_id", 6}})["id"];
  wait_all("replicated");
  // A second server of the site whose Redis cannot be reached.
  auto env = secondary_env(site_);
  env["REDIS_PORT"] = std::to_string(free_port());
  ServerProcess blind(env);
  ASSERT_TRUE(blind.running());
  auto doc = http_get(blind.port(), "/executed_obs_units/" + id);
  EXPECT_EQ(doc.status, 200) << doc.body;
  EXPECT_EQ(doc.headers["x-opsdb-buffer"], "unavailable");
  EXPECT_EQ(doc.json()["id"], id);
  auto list = http_get(blind.port(), "/executed_obs_units?obs_unit_id=6&" + window_);
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.headers["x-opsdb-buffer"], "unavailable");
  EXPECT_EQ(list.json()["count"], 1);
  blind.kill();
}

}  // namespace
}  // namespace opsdb::test
