// Visibility as the web UI asks for it, against the real server and catalogue: one night of a
// seeded source agrees with the computation done here, a repeated or precalculated night comes
// from the server's cache, the source card and the heatmap, who may ask, and what is refused.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "opsdb/astro/visibility.hpp"
#include "opsdb/core/timestamp.hpp"
#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::chrono::year_month_day kDate{std::chrono::year{2026}, std::chrono::March,
                                            std::chrono::day{10}};

ObservingSite configured_site() {
  const Config defaults;
  return {defaults.telescope_latitude_deg, defaults.telescope_longitude_deg,
          defaults.telescope_altitude_m};
}

// A token of `role` made with the command line, as an operator makes one.
std::string cli_token(const std::string& user, const std::string& role) {
  const std::string command =
      server_binary() + " token create --user " + user + " --role " + role + " 2>/dev/null";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    std::array<char, 256> chunk{};
    while (auto n = std::fread(chunk.data(), 1, chunk.size(), pipe)) out.append(chunk.data(), n);
    ::pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

class VisibilityRoutesTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    SecondarySiteFixture::SetUp();
    prefix_name_ = "vis-" + random_hex(8) + "-";
    PgProbe main(stack_config().main_db);
    // Orion KL and the Galactic Centre; and a source at a constant elevation.
    main.exec(
        "INSERT INTO source (name, type, ra_deg, dec_deg) VALUES ($1, 'fixed_source', 83.8221, "
        "-5.3911), ($2, 'fixed_source', 266.4168, -29.0078)",
        {prefix_name_ + "orion", prefix_name_ + "sgr"});
    main.exec(
        "INSERT INTO source (name, type, elevation_deg) VALUES ($1, 'constant_elevation_source', "
        "45)",
        {prefix_name_ + "dip"});
    orion_ = main.scalar("SELECT id FROM source WHERE name = $1", {prefix_name_ + "orion"});
    sgr_ = main.scalar("SELECT id FROM source WHERE name = $1", {prefix_name_ + "sgr"});
    dip_ = main.scalar("SELECT id FROM source WHERE name = $1", {prefix_name_ + "dip"});
    PgProbe replica(stack_config().local_db);
    ASSERT_TRUE(wait_until(
        [&] {
          return replica.scalar("SELECT count(*) FROM source WHERE name LIKE $1 || '%'",
                                {prefix_name_}) == 3;
        },
        10s));
    ASSERT_NO_FATAL_FAILURE(start_server());
  }

  void TearDown() override {
    PgProbe main(stack_config().main_db);
    main.exec("DELETE FROM source WHERE name LIKE $1 || '%'", {prefix_name_});
    SecondarySiteFixture::TearDown();
  }

  HttpResult get(const std::string& target) { return http_get(port(), target); }

  std::string prefix_name_;
  long long orion_ = 0, sgr_ = 0, dip_ = 0;
};

TEST_F(VisibilityRoutesTest, ANightAgreesWithTheDirectComputationAndIsThenAnsweredFromCache) {
  const auto target = "/visibility/" + std::to_string(orion_) + "?date=2026-03-10&step_minutes=5";
  auto first = get(target);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto doc = first.json();
  const auto direct = night_visibility(configured_site(), {83.8221, -5.3911}, kDate, 5);

  EXPECT_EQ(doc["source"]["id"], orion_);
  EXPECT_EQ(doc["source"]["name"], prefix_name_ + "orion");
  EXPECT_EQ(doc["date"], "2026-03-10");
  EXPECT_EQ(doc["step_minutes"], 5);
  EXPECT_DOUBLE_EQ(doc["site"]["latitude_deg"].get<double>(), -22.9856);
  EXPECT_DOUBLE_EQ(doc["site"]["longitude_deg"].get<double>(), -67.7403);
  EXPECT_DOUBLE_EQ(doc["site"]["altitude_m"].get<double>(), 5612);
  EXPECT_EQ(doc["night"]["start"], format_timestamp(direct.start));
  EXPECT_EQ(doc["night"]["end"], format_timestamp(direct.end));
  EXPECT_EQ(doc["kind"], "rises_and_sets");
  ASSERT_TRUE(direct.rise && direct.set);
  EXPECT_EQ(doc["rise"], format_timestamp(*direct.rise));
  EXPECT_EQ(doc["set"], format_timestamp(*direct.set));
  EXPECT_EQ(doc["transit"], format_timestamp(direct.transit));
  EXPECT_NEAR(doc["max_elevation_deg"].get<double>(), direct.max_elevation_deg, 0.0006);
  // Orion KL culminates 17.6° from the zenith at Chajnantor.
  EXPECT_NEAR(doc["max_elevation_deg"].get<double>(), 90 - (-5.3911 - -22.9856), 0.1);
  EXPECT_EQ(doc["refraction"], "none (geometric elevation of the source centre)");
  EXPECT_EQ(doc["cached"], false);
  ASSERT_EQ(doc["samples"].size(), direct.samples.size());
  ASSERT_EQ(direct.samples.size(), 289u);
  for (std::size_t i = 0; i < direct.samples.size(); ++i) {
    const auto& s = doc["samples"][i];
    EXPECT_EQ(s["time"], format_timestamp(direct.samples[i].time));
    EXPECT_NEAR(s["elevation_deg"].get<double>(), direct.samples[i].elevation_deg, 0.0006);
    EXPECT_NEAR(s["azimuth_deg"].get<double>(), direct.samples[i].azimuth_deg, 0.0006);
  }

  auto second = get(target);
  ASSERT_EQ(second.status, 200);
  auto repeated = second.json();
  EXPECT_EQ(repeated["cached"], true);
  repeated["cached"] = false;
  EXPECT_EQ(repeated, doc) << "the cached answer is the computed one";
  EXPECT_EQ(get("/visibility/" + std::to_string(orion_) + "?date=2026-03-10").json()["cached"],
            false)
      << "another step is another night";

  // Without a date: tonight, which is cached like any other night.
  auto tonight = get("/visibility/" + std::to_string(orion_));
  ASSERT_EQ(tonight.status, 200) << tonight.body;
  EXPECT_EQ(tonight.json()["step_minutes"], 10);
  EXPECT_EQ(tonight.json()["samples"].size(), 145u);
  const auto now = std::chrono::system_clock::now();
  EXPECT_LE(*parse_timestamp(tonight.json()["night"]["start"].get<std::string>()), now);
  EXPECT_GT(*parse_timestamp(tonight.json()["night"]["end"].get<std::string>()), now);
}

TEST_F(VisibilityRoutesTest, TheChipShowsTheCoordinatesAndTonight) {
  auto chip = get("/sources/" + std::to_string(orion_) + "/chip");
  ASSERT_EQ(chip.status, 200) << chip.body;
  const auto doc = chip.json();
  EXPECT_EQ(doc["id"], orion_);
  EXPECT_EQ(doc["name"], prefix_name_ + "orion");
  EXPECT_EQ(doc["type"], "fixed_source");
  EXPECT_DOUBLE_EQ(doc["ra_deg"].get<double>(), 83.8221);
  EXPECT_DOUBLE_EQ(doc["dec_deg"].get<double>(), -5.3911);
  EXPECT_EQ(doc["ra_hms"], "05:35:17.30");
  EXPECT_EQ(doc["dec_dms"], "-05:23:28.0");
  ASSERT_TRUE(doc["tonight"].is_object()) << doc;
  EXPECT_NEAR(doc["tonight"]["max_elevation_deg"].get<double>(), 72.4, 0.2);
  EXPECT_EQ(doc["tonight"]["kind"], "rises_and_sets");
  // Tonight's night is the one GET /visibility answers without a date, now from the cache.
  auto night = get("/visibility/" + std::to_string(orion_)).json();
  EXPECT_EQ(night["cached"], true);
  EXPECT_EQ(night["date"], doc["tonight"]["date"]);
  EXPECT_EQ(night["transit"], doc["tonight"]["transit"]);

  auto dip = get("/sources/" + std::to_string(dip_) + "/chip");
  ASSERT_EQ(dip.status, 200) << dip.body;
  EXPECT_EQ(dip.json()["type"], "constant_elevation_source");
  EXPECT_TRUE(dip.json()["tonight"].is_null());
  EXPECT_TRUE(dip.json()["ra_hms"].is_null());
  EXPECT_EQ(get("/sources/999999999/chip").status, 404);
  EXPECT_EQ(get("/sources/x/chip").status, 400);
}

TEST_F(VisibilityRoutesTest, TheHeatmapIsNightsByTimeOfNight) {
  const auto ids = std::to_string(orion_) + "," + std::to_string(sgr_);
  auto r =
      get("/visibility/heatmap?source_ids=" + ids + "&start=2026-03-10&days=3&step_minutes=30");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto doc = r.json();
  EXPECT_EQ(doc["start"], "2026-03-10");
  EXPECT_EQ(doc["days"], 3);
  ASSERT_EQ(doc["times_of_night"].size(), 49u);
  EXPECT_EQ(doc["times_of_night"][0], 0);
  EXPECT_EQ(doc["times_of_night"][48], 1440);
  EXPECT_EQ(doc["nights_computed"], 6);
  ASSERT_EQ(doc["sources"].size(), 2u);
  EXPECT_EQ(doc["sources"][0]["source_id"], orion_);
  EXPECT_EQ(doc["sources"][1]["name"], prefix_name_ + "sgr");
  for (const auto& source : doc["sources"]) {
    ASSERT_EQ(source["days"].size(), 3u);
    EXPECT_EQ(source["days"][2]["date"], "2026-03-12");
    for (const auto& day : source["days"]) EXPECT_EQ(day["elevations"].size(), 49u);
  }
  const auto direct = night_visibility(
      configured_site(), {266.4168, -29.0078},
      std::chrono::year_month_day{std::chrono::sys_days{kDate} + std::chrono::days(1)}, 30);
  const auto& row = doc["sources"][1]["days"][1];
  EXPECT_EQ(row["night_start"], format_timestamp(direct.start));
  EXPECT_NEAR(row["max_elevation_deg"].get<double>(), direct.max_elevation_deg, 0.0006);
  for (std::size_t i = 0; i < direct.samples.size(); ++i) {
    EXPECT_NEAR(row["elevations"][i].get<double>(), direct.samples[i].elevation_deg, 0.0006);
  }

  // The same grid again: every night from the cache.
  EXPECT_EQ(
      get("/visibility/heatmap?source_ids=" + ids + "&start=2026-03-10&days=3&step_minutes=30")
          .json()["nights_already_cached"],
      6);
  auto missing = get("/visibility/heatmap?source_ids=" + ids + ",999999999&start=2026-03-10");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.json()["error"]["message"].get<std::string>().find("999999999"),
            std::string::npos);
  EXPECT_EQ(
      get("/visibility/heatmap?source_ids=" + std::to_string(dip_) + "&start=2026-03-10").status,
      422);
  auto too_much = get("/visibility/heatmap?source_ids=" + ids + "&start=2026-03-10&days=100");
  EXPECT_EQ(too_much.status, 400);
  EXPECT_NE(too_much.body.find("62"), std::string::npos) << too_much.body;
}

TEST_F(VisibilityRoutesTest, PrecalculatedNightsAreAnsweredFromTheCache) {
  const json body{{"source_ids", {orion_, sgr_}}, {"start", "2026-04-01"}, {"days", 5}};
  auto warmed = http_json(port(), "POST", "/visibility/precalculate", body);
  ASSERT_EQ(warmed.status, 200) << warmed.body;
  EXPECT_EQ(warmed.json()["nights_computed"], 10);
  EXPECT_EQ(warmed.json()["nights_already_cached"], 0);
  EXPECT_EQ(warmed.json()["step_minutes"], 10);
  for (const auto date : {"2026-04-01", "2026-04-05"}) {
    auto night = get("/visibility/" + std::to_string(sgr_) + "?date=" + date);
    ASSERT_EQ(night.status, 200) << night.body;
    EXPECT_EQ(night.json()["cached"], true) << date;
  }
  EXPECT_EQ(get("/visibility/" + std::to_string(sgr_) + "?date=2026-04-06").json()["cached"],
            false);
  auto again = http_json(port(), "POST", "/visibility/precalculate", body);
  EXPECT_EQ(again.json()["nights_computed"], 0);
  EXPECT_EQ(again.json()["nights_already_cached"], 10);

  EXPECT_EQ(http_json(port(), "POST", "/visibility/precalculate",
                      {{"source_ids", {orion_}}, {"start", "2026-04-01"}, {"days", 500}})
                .status,
            400);
  EXPECT_EQ(http_request(port(), "POST", "/visibility/precalculate", "{not json",
                         {{"Content-Type", "application/json"}})
                .status,
            400);
  EXPECT_EQ(http_json(port(), "POST", "/visibility/precalculate",
                      {{"source_ids", {999999999}}, {"start", "2026-04-01"}, {"days", 1}})
                .status,
            404);
}

TEST_F(VisibilityRoutesTest, ReadsNeedATokenAndPrecalculatingNeedsAnAdministrator) {
  const auto target = "/visibility/" + std::to_string(orion_) + "?date=2026-03-10";
  const std::map<std::string, std::string> anonymous{{"Authorization", ""}};
  auto refused = http_request(port(), "GET", target, {}, anonymous);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(
      http_request(port(), "GET", "/sources/" + std::to_string(orion_) + "/chip", {}, anonymous)
          .status,
      401);

  const auto viewer = cli_token(prefix_name_ + "viewer", "viewer");
  ASSERT_FALSE(viewer.empty());
  const std::map<std::string, std::string> as_viewer{{"Authorization", "Bearer " + viewer}};
  // The token is made on the main database and reaches this site's replica soon after.
  ASSERT_TRUE(wait_until(
      [&] { return http_request(port(), "GET", target, {}, as_viewer).status == 200; }, 10s, 50ms));
  EXPECT_EQ(http_request(port(), "GET",
                         "/visibility/heatmap?source_ids=" + std::to_string(orion_) +
                             "&start=2026-03-10&days=1",
                         {}, as_viewer)
                .status,
            200);
  auto precalculate =
      http_request(port(), "POST", "/visibility/precalculate",
                   json{{"source_ids", {orion_}}, {"start", "2026-03-10"}, {"days", 1}}.dump(),
                   {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + viewer}});
  EXPECT_EQ(precalculate.status, 403) << precalculate.body;
}

TEST_F(VisibilityRoutesTest, BadParametersAre400AndUnknownOrNonFixedSourcesAreNamed) {
  const auto base = "/visibility/" + std::to_string(orion_);
  for (const std::string query :
       {"?date=2026-02-30", "?date=10-03-2026", "?date=1850-01-01", "?date=", "?step_minutes=0",
        "?step_minutes=121", "?step_minutes=ten", "?step_minutes=5.5", "?when=now"}) {
    auto r = get(base + query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "bad_request") << query;
  }
  EXPECT_EQ(get("/visibility/abc").status, 400);
  EXPECT_EQ(get("/visibility/0").status, 400);
  auto unknown = get("/visibility/999999999?date=2026-03-10");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("999999999"), std::string::npos);
  auto dip = get("/visibility/" + std::to_string(dip_));
  EXPECT_EQ(dip.status, 422);
  EXPECT_NE(dip.body.find("constant_elevation_source"), std::string::npos) << dip.body;
}

}  // namespace
}  // namespace opsdb::test
