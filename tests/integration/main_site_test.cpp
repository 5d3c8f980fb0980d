// The main site's API against the real stack: every critical endpoint executes synchronously on
// the main database; reads answer from it; bad input is refused with nothing written.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "opsdb/core/timestamp.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"
#include "support/wait.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;

class MainSiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prepare_database();
    server_ = new ServerProcess({{"SITE_TYPE", "main"}, {"HTTP_BODY_LIMIT", "65536"}});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override { db_ = std::make_unique<PgProbe>(stack_config().main_db); }

  std::uint16_t port() const { return server_->port(); }

  std::string start_observation(int obs_unit_id = 1) {
    auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", obs_unit_id}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["id"];
  }

  json file(const std::string& observation, const std::string& path) {
    return {{"name", path},
            {"relative_path", "main-site-test/" + path},
            {"executed_obs_unit_id", observation},
            {"instrument_module_id", 1},
            {"size_bytes", 2048},
            {"checksum", "sha256:feed"}};
  }

  long long rows_written() {
    return db_->scalar(
        "SELECT (SELECT count(*) FROM executed_obs_unit) + (SELECT count(*) FROM raw_data_file)"
        " + (SELECT count(*) FROM raw_data_package) + (SELECT count(*) FROM"
        " buffered_transaction_log) + (SELECT count(*) FROM executed_obs_unit_status_change)"
        " + (SELECT count(*) FROM instrument_module_configuration)");
  }

  // Sends a request that must be refused with `status` and leave the database untouched.
  json expect_refused(int status, const std::string& method, const std::string& target,
                      const std::string& body) {
    const auto before = rows_written();
    auto r = http_request(port(), method, target, body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, status) << method << " " << target << ": " << r.body;
    auto doc = r.json();
    EXPECT_TRUE(doc.contains("error")) << r.body;
    if (doc.contains("error")) {
      EXPECT_FALSE(doc["error"]["message"].get<std::string>().empty());
      EXPECT_TRUE(doc["error"]["code"].is_string());
    }
    EXPECT_EQ(rows_written(), before) << "a refused request wrote to the database";
    return doc;
  }

  static ServerProcess* server_;
  std::unique_ptr<PgProbe> db_;
};

ServerProcess* MainSiteTest::server_ = nullptr;

TEST_F(MainSiteTest, StartWritesTheObservationAndItsLedgerRowAtOnce) {
  auto r = http_json(port(), "POST", "/executed_obs_units/start",
                     {{"obs_unit_id", 1},
                      {"start_time", "2026-11-25T03:00:00Z"},
                      {"conditions", {{"pwv_mm", 0.6}}},
                      {"instrument_module_configurations",
                       {{{"instrument_module_id", 1}, {"configuration", {{"bias_mv", 3.1}}}}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto doc = r.json();
  EXPECT_EQ(doc["status"], "applied");
  const std::string id = doc["id"];
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM executed_obs_unit WHERE id = $1 AND status = "
                        "'running' AND start_time = '2026-11-25T03:00:00Z'",
                        {id}),
            1);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM buffered_transaction_log WHERE transaction_id = $1",
                        {doc["transaction_id"].get<std::string>()}),
            1);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM instrument_module_configuration WHERE "
                        "executed_obs_unit_id = $1",
                        {id}),
            1);

  auto read = http_get(port(), "/executed_obs_units/" + id);
  ASSERT_EQ(read.status, 200) << read.body;
  auto obs = read.json();
  EXPECT_EQ(obs["start_time"], "2026-11-25T03:00:00.000000Z");
  EXPECT_EQ(obs["conditions"]["pwv_mm"], 0.6);
  EXPECT_EQ(obs["instrument_module_configurations"].size(), 1u);
  EXPECT_EQ(obs["status_changes"][0]["to_status"], "running");
}

TEST_F(MainSiteTest, FinishAndStatusChangeUpdateTheObservation) {
  auto id = start_observation();
  auto status = http_json(port(), "PUT", "/executed_obs_units/" + id + "/status",
                          {{"status", "aborted"}, {"reason", "high wind"}});
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.json()["status"], "applied");
  auto finish = http_json(port(), "PUT", "/executed_obs_units/" + id + "/finish",
                          {{"status", "failed"}, {"end_time", "2099-01-01T00:00:00Z"}});
  ASSERT_EQ(finish.status, 200) << finish.body;
  auto obs = http_get(port(), "/executed_obs_units/" + id).json();
  EXPECT_EQ(obs["status"], "failed");
  EXPECT_EQ(obs["end_time"], "2099-01-01T00:00:00.000000Z");
  ASSERT_EQ(obs["status_changes"].size(), 3u);
  EXPECT_EQ(obs["status_changes"][1]["reason"], "high wind");
}

TEST_F(MainSiteTest, InstrumentConfigurationIsRecorded) {
  auto id = start_observation(2);
  auto r = http_json(port(), "POST", "/executed_obs_units/" + id + "/instrument_configurations",
                     {{"instrument_module_id", 4}, {"configuration", {{"lo_ghz", 492.16}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM instrument_module_configuration WHERE id = $1 AND "
                        "configuration->>'lo_ghz' = '492.16'",
                        {r.json()["id"].get<std::string>()}),
            1);
}

TEST_F(MainSiteTest, FilesPackagesAndFinalize) {
  auto obs = start_observation();
  auto tag = obs.substr(0, 8);
  auto one = http_json(port(), "POST", "/raw_data_files/", file(obs, tag + "/a.fits"));
  ASSERT_EQ(one.status, 201) << one.body;
  const std::string file_id = one.json()["id"];
  auto bulk = http_json(port(), "POST", "/raw_data_files/bulk",
                        json::array({file(obs, tag + "/b.fits"), file(obs, tag + "/c.fits")}));
  ASSERT_EQ(bulk.status, 201) << bulk.body;
  EXPECT_EQ(bulk.json()["count"], 2);
  EXPECT_EQ(bulk.json()["ids"].size(), 2u);

  auto pkg = http_json(port(), "POST", "/raw_data_package/",
                       {{"name", tag + "-pkg"},
                        {"executed_obs_unit_id", obs},
                        {"instrument_module_id", 1},
                        {"raw_data_file_ids", {file_id}}});
  ASSERT_EQ(pkg.status, 201) << pkg.body;
  const std::string pkg_id = pkg.json()["id"];
  auto fin = http_json(port(), "PUT", "/raw_data_package/" + pkg_id + "/finalize",
                       {{"size_bytes", 2048}, {"checksum", "sha256:all"}});
  ASSERT_EQ(fin.status, 200) << fin.body;

  auto package = http_get(port(), "/raw_data_package/" + pkg_id);
  ASSERT_EQ(package.status, 200);
  EXPECT_EQ(package.json()["status"], "complete");
  ASSERT_EQ(package.json()["raw_data_files"].size(), 1u);
  EXPECT_EQ(package.json()["raw_data_files"][0]["id"], file_id);

  auto f = http_get(port(), "/raw_data_files/" + file_id);
  ASSERT_EQ(f.status, 200);
  EXPECT_EQ(f.json()["raw_data_package_id"], pkg_id);
  auto full = http_get(port(), "/executed_obs_units/" + obs).json();
  EXPECT_EQ(full["raw_data_files"].size(), 3u);
  EXPECT_EQ(full["raw_data_packages"].size(), 1u);
}

TEST_F(MainSiteTest, ListIsNewestFirstWithKeysetPagination) {
  // A window of time no other run uses, so earlier runs' rows do not show up.
  const auto base = std::chrono::sys_days{std::chrono::year{2031} / 1 / 1} +
                    std::chrono::seconds(std::random_device{}() % 100'000'000);
  const auto at = [&](int s) { return format_timestamp(base + std::chrono::seconds(s)); };
  const std::string window = "obs_unit_id=3&since=" + at(0) + "&until=" + at(60);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = http_json(port(), "POST", "/executed_obs_units/start",
                       {{"obs_unit_id", 3}, {"start_time", at(i)}});
    ASSERT_EQ(r.status, 201);
    ids.push_back(r.json()["id"]);
  }
  std::vector<std::string> seen;
  std::string target = "/executed_obs_units?" + window + "&limit=2";
  for (int page = 0; page < 5; ++page) {
    auto r = http_get(port(), target);
    ASSERT_EQ(r.status, 200) << r.body;
    auto doc = r.json();
    for (const auto& item : doc["items"]) seen.push_back(item["id"]);
    if (doc["next_cursor"].is_null()) break;
    target = "/executed_obs_units?" + window +
             "&limit=2&cursor=" + doc["next_cursor"].get<std::string>();
  }
  ASSERT_EQ(seen.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(seen[i], ids[4 - i]);

  // The older integer form lists the same observations.
  auto compat = http_get(port(), "/executed_obs_units/3?since=" + at(0) + "&until=" + at(60));
  ASSERT_EQ(compat.status, 200) << compat.body;
  EXPECT_EQ(compat.json()["count"], 5);
  auto filtered = http_get(port(), "/executed_obs_units?" + window + "&status=completed");
  EXPECT_EQ(filtered.json()["count"], 0);
}

TEST_F(MainSiteTest, BadInputIsRefusedAndNothingIsWritten) {
  auto obs = start_observation();
  expect_refused(400, "POST", "/executed_obs_units/start", "{\"obs_unit_id\": ");
  expect_refused(400, "POST", "/executed_obs_units/start", "{\"obs_unit_id\": \"one\"}");
  expect_refused(400, "POST", "/executed_obs_units/start", "{}");
  expect_refused(400, "POST", "/executed_obs_units/start", "{\"obs_unit_id\": 1, \"colour\": 2}");
  expect_refused(400, "POST", "/executed_obs_units/start",
                 "{\"obs_unit_id\": 1, \"status\": \"sleeping\"}");
  auto unknown =
      expect_refused(422, "POST", "/executed_obs_units/start", "{\"obs_unit_id\": 999999}");
  EXPECT_NE(unknown["error"]["message"].get<std::string>().find("obs_unit_id"), std::string::npos);
  expect_refused(400, "PUT", "/executed_obs_units/not-a-uuid/finish", "{\"status\":\"completed\"}");
  expect_refused(404, "PUT", "/executed_obs_units/00000000-0000-4000-8000-000000000000/finish",
                 "{\"status\":\"completed\"}");
  expect_refused(404, "PUT", "/raw_data_package/00000000-0000-4000-8000-000000000000/finalize", "");
  expect_refused(400, "PUT", "/executed_obs_units/" + obs + "/finish", "{\"status\":\"running\"}");
  expect_refused(400, "GET", "/raw_data_files/xyz", "");
  expect_refused(404, "GET", "/raw_data_files/00000000-0000-4000-8000-000000000000", "");
  expect_refused(400, "GET", "/executed_obs_units/abc", "");
  expect_refused(400, "GET", "/executed_obs_units?limit=0", "");
  expect_refused(400, "GET", "/executed_obs_units?cursor=bogus", "");
  // A file of an observation that does not exist, and a duplicate path in the database.
  expect_refused(422, "POST", "/raw_data_files/",
                 file("00000000-0000-4000-8000-000000000000", "ghost.fits").dump());
  auto dup = file(obs, obs + "/dup.fits");
  ASSERT_EQ(http_json(port(), "POST", "/raw_data_files/", dup).status, 201);
  expect_refused(409, "POST", "/raw_data_files/", dup.dump());
  // One bad file in a bulk request writes none of them.
  auto good = file(obs, obs + "/good.fits");
  auto bad = file(obs, obs + "/bad.fits");
  bad["instrument_module_id"] = 424242;
  expect_refused(422, "POST", "/raw_data_files/bulk", json::array({good, bad}).dump());
  // A body over the limit, an unknown route, a wrong method.
  auto r = http_request(port(), "POST", "/raw_data_files/bulk", std::string(70'000, ' '));
  EXPECT_EQ(r.status, 413);
  expect_refused(404, "GET", "/no/such/route", "");
  auto wrong = http_request(port(), "DELETE", "/executed_obs_units/" + obs + "/finish");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers["allow"], "PUT");
}

TEST_F(MainSiteTest, HealthReportsTheDatabase) {
  // /health answers from the last probe; until the first one has finished after the start the
  // database is "unknown".
  nlohmann::json health;
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = http_get(port(), "/health");
        health = r.json();
        return r.status == 200 && health["database"] == "connected";
      },
      std::chrono::seconds(5), "/health to report the database connected"))
      << health.dump();
  EXPECT_EQ(health["status"], "healthy");
  EXPECT_EQ(health["site_type"], "main");
}

TEST(MainSiteDatabaseDown, WritesAnswer503AndHealthTurnsUnhealthy) {
  prepare_database();
  // A main DB address where nothing listens: connection refused.
  ServerProcess server({{"SITE_TYPE", "main"},
                        {"MAIN_DB_PORT", std::to_string(free_port())},
                        {"MAIN_DB_CONNECT_TIMEOUT", "1"}});
  auto r = http_json(server.port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "unavailable");
  nlohmann::json health;
  EXPECT_TRUE(wait_until(
      [&] {
        auto h = http_get(server.port(), "/health");
        health = h.json();
        return h.status == 503;
      },
      std::chrono::seconds(5), "/health to answer 503", std::chrono::milliseconds(100)));
  EXPECT_EQ(health["database"], "unreachable");
  EXPECT_EQ(health["status"], "unhealthy");
}

TEST(MainSiteLifecycle, SigtermStopsCleanly) {
  prepare_database();
  ServerProcess server(std::map<std::string, std::string>{{"SITE_TYPE", "main"}});
  EXPECT_EQ(server.stop(), 0);
}

TEST(CommandLine, MigrateAndSeedAreIdempotent) {
  prepare_database();
  const auto out = ::testing::TempDir() + "/migrate.txt";
  const std::string env = "cd / && ";  // the stack's addresses come from the environment
  ASSERT_EQ(shell(env + server_binary() + " migrate > " + out + " 2>&1"), 0);
  std::ifstream f(out);
  std::string text((std::istreambuf_iterator<char>(f)), {});
  EXPECT_NE(text.find("up to date"), std::string::npos) << text;
  PgProbe db(stack_config().main_db);
  const auto before = db.scalar("SELECT count(*) FROM obs_unit");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM schema_migrations"),
            db.scalar("SELECT count(*) FROM schema_migrations WHERE name ~ '^[0-9]{4}_'"));
  ASSERT_EQ(shell(env + server_binary() + " seed-demo > /dev/null 2>&1"), 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM obs_unit"), before);
  EXPECT_GE(before, 2);
}

TEST(Logging, JsonLinesCarryTheRequestAndNeverThePassword) {
  prepare_database();
  const auto config = stack_config();
  ASSERT_FALSE(config.main_db.password.empty()) << "the stack's database has a password";
  ServerProcess server({{"SITE_TYPE", "main"}, {"LOG_FORMAT", "json"}});
  ASSERT_EQ(http_get(server.port(), "/health?token=abc").status, 200);
  ASSERT_EQ(server.stop(), 0);
  const auto log = server.log();
  std::istringstream lines(log);
  std::string line;
  bool request_line = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto doc = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << "not a JSON line: " << line;
    EXPECT_TRUE(doc.contains("time") && doc.contains("level") && doc.contains("message")) << line;
    const auto message = doc.value("message", "");
    if (message.rfind("GET /health 200", 0) == 0) request_line = true;
  }
  EXPECT_TRUE(request_line) << "no request log line:\n" << log;
  EXPECT_EQ(log.find(config.main_db.password), std::string::npos) << "the password was logged";
  EXPECT_EQ(log.find("token=abc"), std::string::npos) << "the query string was logged";
}

TEST(CommandLine, BadConfigurationExitsNonZeroNamingTheKey) {
  auto out = ::testing::TempDir() + "/bad-config.txt";
  int rc = shell("cd / && HTTP_PORT=abc " + server_binary() + " serve > " + out + " 2>&1");
  EXPECT_EQ(rc, 2);
  std::ifstream f(out);
  std::string text((std::istreambuf_iterator<char>(f)), {});
  EXPECT_NE(text.find("HTTP_PORT"), std::string::npos) << text;
  EXPECT_EQ(shell(server_binary() + " --version > /dev/null"), 0);
  EXPECT_EQ(shell(server_binary() + " frobnicate > /dev/null 2>&1"), 2);
}

}  // namespace
}  // namespace opsdb::test
