// The source catalogue as the web UI reads it, against the real replica: cone searches across
// RA 0/360 and at the pole compared with brute force, name and type filters, pages, one source,
// its details, resolving a name.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "opsdb/query/cone_search.hpp"
#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct Placed {
  std::string name;
  SkyPosition position;
};

class SourcesTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    SecondarySiteFixture::SetUp();
    prefix_name_ = "cone-" + random_hex(8) + "-";
    // Sources crowded around RA 0/360 on the equator, around the north pole, and scattered.
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> offset(-1.5, 1.5), ra(0, 360), sin_dec(-1, 1);
    for (int i = 0; i < 60; ++i) {
      place({std::fmod(360 + offset(random), 360), offset(random)});
      place({ra(random), 89.9 + offset(random) / 15});
      place({ra(random), std::asin(sin_dec(random)) * 180 / M_PI});
    }
    PgProbe main(stack_config().main_db);
    for (const auto& p : placed_) {
      main.exec(
          "INSERT INTO source (name, type, ra_deg, dec_deg) VALUES ($1, 'fixed_source', $2, $3)",
          {p.name, distance_key(p.position.ra_deg), distance_key(p.position.dec_deg)});
    }
    main.exec(
        "INSERT INTO source (name, type, elevation_deg) VALUES ($1, 'constant_elevation_source', "
        "45)",
        {prefix_name_ + "sky-dip"});
    PgProbe replica(stack_config().local_db);
    ASSERT_TRUE(wait_until(
        [&] {
          return replica.scalar("SELECT count(*) FROM source WHERE name LIKE $1 || '%'",
                                {prefix_name_}) == static_cast<long long>(placed_.size() + 1);
        },
        10s));
    ASSERT_NO_FATAL_FAILURE(start_server());
  }

  void TearDown() override {
    PgProbe main(stack_config().main_db);
    main.exec("DELETE FROM source WHERE name LIKE $1 || '%'", {prefix_name_});
    SecondarySiteFixture::TearDown();
  }

  void place(SkyPosition p) {
    placed_.push_back({prefix_name_ + std::to_string(placed_.size()), p});
  }

  // Every page of a query, followed by its cursors.
  std::vector<json> all_pages(const std::string& query) {
    std::vector<json> items;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      auto r = http_get(
          port(), "/sources?" + query + "&limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor));
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      const auto doc = r.json();
      for (const auto& item : doc["items"]) items.push_back(item);
      if (doc["next_cursor"].is_null()) break;
      cursor = doc["next_cursor"].get<std::string>();
    }
    return items;
  }

  std::string prefix_name_;
  std::vector<Placed> placed_;
};

TEST_F(SourcesTest, ConeSearchFindsExactlyTheSourcesWithinTheRadiusNearestFirst) {
  const std::vector<std::pair<SkyPosition, double>> cones{
      {{359.9, 0}, 1.0}, {{0.1, 0.2}, 0.7}, {{180, 89.9}, 0.3}, {{45, 89.95}, 0.12}, {{0, 0}, 2.5}};
  for (const auto& [center, radius] : cones) {
    const auto query = "name=" + prefix_name_ + "&ra=" + distance_key(center.ra_deg) +
                       "&dec=" + distance_key(center.dec_deg) + "&radius=" + distance_key(radius);
    const auto items = all_pages(query);
    std::set<std::string> found, expected;
    double last = -1;
    for (const auto& item : items) {
      EXPECT_TRUE(found.insert(item["name"].get<std::string>()).second) << "listed twice";
      const double d = item["distance_deg"].get<double>();
      EXPECT_GE(d, last) << "nearest first";
      last = d;
    }
    for (const auto& p : placed_) {
      // Brute force with the vector formula, independent of the server's haversine.
      const auto v = [](SkyPosition s) {
        const double ra = s.ra_deg * M_PI / 180, dec = s.dec_deg * M_PI / 180;
        return std::array<double, 3>{std::cos(dec) * std::cos(ra), std::cos(dec) * std::sin(ra),
                                     std::sin(dec)};
      };
      const auto a = v(center), b = v(p.position);
      const std::array<double, 3> cross{a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                                        a[0] * b[1] - a[1] * b[0]};
      const double angle =
          std::atan2(std::sqrt(cross[0] * cross[0] + cross[1] * cross[1] + cross[2] * cross[2]),
                     a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) *
          180 / M_PI;
      if (angle <= radius) expected.insert(p.name);
    }
    EXPECT_EQ(found, expected) << "cone at " << center.ra_deg << "," << center.dec_deg << " r "
                               << radius;
    EXPECT_FALSE(expected.empty()) << "the cone must hold some of the placed sources";
  }
}

TEST_F(SourcesTest, NameAndTypeFiltersAndPagesListEverySourceOnce) {
  auto items = all_pages("name=" + prefix_name_);
  EXPECT_EQ(items.size(), placed_.size() + 1);
  std::set<std::string> names;
  for (const auto& item : items) names.insert(item["name"].get<std::string>());
  EXPECT_EQ(names.size(), items.size());
  // Case-insensitive substring.
  auto upper = prefix_name_;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(all_pages("name=" + upper).size(), items.size());
  auto dips = all_pages("name=" + prefix_name_ + "&type=constant_elevation_source");
  ASSERT_EQ(dips.size(), 1u);
  EXPECT_EQ(dips[0]["elevation_deg"], 45.0);

  EXPECT_EQ(http_get(port(), "/sources?ra=1&dec=2").status, 400);
  EXPECT_EQ(http_get(port(), "/sources?ra=1&dec=2&radius=200").status, 400);
}

TEST_F(SourcesTest, OneSourceItsDetailsAndResolvingAName) {
  auto page = http_get(port(), "/sources?name=" + prefix_name_ + "0&limit=1").json();
  ASSERT_EQ(page["items"].size(), 1u);
  const auto id = page["items"][0]["id"].get<long long>();
  auto one = http_get(port(), "/sources/" + std::to_string(id));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["name"], prefix_name_ + "0");
  auto details = http_get(port(), "/sources/" + std::to_string(id) + "/details");
  ASSERT_EQ(details.status, 200);
  EXPECT_TRUE(details.json()["obs_units"].is_array());
  EXPECT_EQ(http_get(port(), "/sources/999999999").status, 404);
  EXPECT_EQ(http_get(port(), "/sources/abc").status, 400);
  // The demo catalogue's Orion KL is observed by obs units.
  auto orion = http_json(port(), "POST", "/sources/resolve", {{"name", "orion kl"}});
  ASSERT_EQ(orion.status, 200) << orion.body;
  EXPECT_EQ(orion.json()["name"], "Orion KL");
  EXPECT_EQ(http_json(port(), "POST", "/sources/resolve", {{"name", "no such source"}}).status,
            404);
  EXPECT_EQ(http_json(port(), "POST", "/sources/resolve", {{"nom", "x"}}).status, 400);
}

std::string upper_case(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

TEST_F(SourcesTest, ResolvingFindsASourceByAnyOfItsAliasesWhateverTheCase) {
  PgProbe main(stack_config().main_db);
  const auto source = main.scalar("SELECT id FROM source WHERE name = $1", {prefix_name_ + "0"});
  const auto first = prefix_name_ + "alias-a", second = prefix_name_ + "alias-b";
  // Inserted out of order: the answer lists them sorted.
  for (const auto& alias : {second, first}) {
    main.exec("INSERT INTO source_alias (source_id, alias) VALUES ($1::integer, $2)",
              {std::to_string(source), alias});
  }
  PgProbe replica(stack_config().local_db);
  ASSERT_TRUE(wait_until(
      [&] {
        return replica.scalar("SELECT count(*) FROM source_alias WHERE source_id = $1::integer",
                              {std::to_string(source)}) == 2;
      },
      10s));

  auto found = http_json(port(), "POST", "/sources/resolve", {{"name", upper_case(second)}});
  ASSERT_EQ(found.status, 200) << found.body;
  const auto doc = found.json();
  EXPECT_EQ(doc["id"], source);
  EXPECT_EQ(doc["name"], prefix_name_ + "0");
  EXPECT_EQ(doc["matched"], "alias");
  EXPECT_EQ(doc["alias"], second) << "the alias as it is stored";
  EXPECT_EQ(doc["aliases"], json({first, second}));

  EXPECT_EQ(
      http_json(port(), "POST", "/sources/resolve", {{"name", prefix_name_ + "alias-c"}}).status,
      404);
}

TEST_F(SourcesTest, ResolvingPrefersANameToAnAliasAndSaysWhichMatched) {
  PgProbe main(stack_config().main_db);
  const auto one = main.scalar("SELECT id FROM source WHERE name = $1", {prefix_name_ + "1"});
  const auto two = main.scalar("SELECT id FROM source WHERE name = $1", {prefix_name_ + "2"});
  // Source 1 is also known by the name of source 2, in other letters.
  const auto clash = upper_case(prefix_name_ + "2");
  main.exec("INSERT INTO source_alias (source_id, alias) VALUES ($1::integer, $2)",
            {std::to_string(one), clash});
  PgProbe replica(stack_config().local_db);
  ASSERT_TRUE(wait_until(
      [&] {
        return replica.scalar("SELECT count(*) FROM source_alias WHERE source_id = $1::integer",
                              {std::to_string(one)}) == 1;
      },
      10s));

  auto by_name = http_json(port(), "POST", "/sources/resolve", {{"name", clash}});
  ASSERT_EQ(by_name.status, 200) << by_name.body;
  EXPECT_EQ(by_name.json()["id"], two);
  EXPECT_EQ(by_name.json()["matched"], "name");
  EXPECT_FALSE(by_name.json().contains("alias")) << by_name.body;
  EXPECT_EQ(by_name.json()["aliases"], json::array());

  auto exact = http_json(port(), "POST", "/sources/resolve", {{"name", prefix_name_ + "1"}});
  ASSERT_EQ(exact.status, 200) << exact.body;
  EXPECT_EQ(exact.json()["id"], one);
  EXPECT_EQ(exact.json()["matched"], "name");
  EXPECT_EQ(exact.json()["aliases"], json({clash}));

  EXPECT_EQ(
      http_json(port(), "POST", "/sources/resolve", {{"name", prefix_name_ + "nowhere"}}).status,
      404);
}

TEST_F(SourcesTest, ASourceAndItsDetailsListItsAliases) {
  PgProbe main(stack_config().main_db);
  const auto source = main.scalar("SELECT id FROM source WHERE name = $1", {prefix_name_ + "3"});
  const auto first = prefix_name_ + "other-a", second = prefix_name_ + "other-b";
  for (const auto& alias : {second, first}) {
    main.exec("INSERT INTO source_alias (source_id, alias) VALUES ($1::integer, $2)",
              {std::to_string(source), alias});
  }
  // An alias belongs to one source only, whatever its case.
  EXPECT_ANY_THROW(main.exec("INSERT INTO source_alias (source_id, alias) VALUES ($1::integer, $2)",
                             {std::to_string(source), upper_case(first)}));
  PgProbe replica(stack_config().local_db);
  ASSERT_TRUE(wait_until(
      [&] {
        return replica.scalar("SELECT count(*) FROM source_alias WHERE source_id = $1::integer",
                              {std::to_string(source)}) == 2;
      },
      10s));

  const auto path = "/sources/" + std::to_string(source);
  for (const auto& target : {path, path + "/details"}) {
    auto r = http_get(port(), target);
    ASSERT_EQ(r.status, 200) << target << ": " << r.body;
    EXPECT_EQ(r.json()["aliases"], json({first, second})) << target;
  }
  EXPECT_TRUE(http_get(port(), path + "/details").json()["obs_units"].is_array());
  const auto bare = main.scalar("SELECT id FROM source WHERE name = $1", {prefix_name_ + "4"});
  EXPECT_EQ(http_get(port(), "/sources/" + std::to_string(bare)).json()["aliases"], json::array());
}

}  // namespace
}  // namespace opsdb::test
