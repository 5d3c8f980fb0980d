#include "opsdb/query/cone_search.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <random>
#include <set>

#include "opsdb/core/error.hpp"
#include "opsdb/query/source_catalog.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;

bool in_window(const ConeWindow& w, SkyPosition p) {
  if (p.dec_deg < w.dec_min || p.dec_deg > w.dec_max) return false;
  for (const auto& [low, high] : w.ra_ranges) {
    if (p.ra_deg >= low && p.ra_deg <= high) return true;
  }
  return false;
}

TEST(ConeSearch, AngularDistanceIsTheTrueAngleOnTheSphere) {
  struct Case {
    SkyPosition a, b;
    double degrees;
  };
  const Case cases[] = {
      {{0, 0}, {0, 0}, 0},
      {{0, 0}, {90, 0}, 90},
      {{0, 0}, {180, 0}, 180},
      {{10, 89}, {190, 89}, 2},               // over the pole
      {{359.9, 0}, {0.1, 0}, 0.2},            // across RA 0
      {{0, -90}, {123, -90}, 0},              // the pole has no RA
      {{45, 30}, {45, 31.5}, 1.5},            // along a meridian
      {{0, 60}, {1, 60}, 0.499995240330162},  // RA shrinks with cos(dec) (vector formula)
      {{83.8221, -5.3911}, {83.8221 + 1e-7, -5.3911}, 1e-7 * std::cos(-5.3911 * M_PI / 180)},
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(angular_distance_deg(c.a, c.b), c.degrees, 1e-9)
        << c.a.ra_deg << "," << c.a.dec_deg << " to " << c.b.ra_deg << "," << c.b.dec_deg;
    EXPECT_NEAR(angular_distance_deg(c.a, c.b), angular_distance_deg(c.b, c.a), 1e-12);
  }
}

TEST(ConeSearch, WindowCrossesRaZeroInTwoRangesAndCoversAllRaAtAPole) {
  const auto across = cone_window({359.9, 0}, 0.5);
  ASSERT_EQ(across.ra_ranges.size(), 2u);
  EXPECT_TRUE(in_window(across, {0.2, 0.1}));
  EXPECT_TRUE(in_window(across, {359.5, -0.1}));
  EXPECT_FALSE(in_window(across, {180, 0}));

  const auto polar = cone_window({10, 89.9}, 0.5);
  ASSERT_EQ(polar.ra_ranges.size(), 1u);
  EXPECT_EQ(polar.ra_ranges[0], std::make_pair(0.0, 360.0));
  EXPECT_EQ(polar.dec_max, 90.0);

  const auto plain = cone_window({120, -30}, 2);
  ASSERT_EQ(plain.ra_ranges.size(), 1u);
  EXPECT_LT(plain.ra_ranges[0].second - plain.ra_ranges[0].first, 5.0);
  EXPECT_NEAR(plain.dec_min, -32, 1e-6);
}

// The property the prefilter must have: nothing within the radius is ever outside the window;
// checked against brute force over random skies, cones at RA 0/360 and at the poles included.
TEST(ConeSearch, NothingInsideTheConeIsOutsideItsWindow) {
  std::mt19937_64 random(20261129);
  std::uniform_real_distribution<double> ra(0, 360), sin_dec(-1, 1), radius(0.001, 30);
  std::vector<SkyPosition> centers{{359.99, 0}, {0.01, 0},  {0, 89.9}, {180, -89.95},
                                   {359.9, 45}, {0.1, -60}, {270, 0}};
  for (int i = 0; i < 200; ++i)
    centers.push_back({ra(random), std::asin(sin_dec(random)) * 180 / M_PI});
  std::vector<SkyPosition> sky;
  for (int i = 0; i < 5000; ++i)
    sky.push_back({ra(random), std::asin(sin_dec(random)) * 180 / M_PI});
  int inside = 0;
  for (const auto& c : centers) {
    const double r = radius(random);
    const auto window = cone_window(c, r);
    // Points on and near the circle itself, in every direction.
    for (int k = 0; k < 36; ++k) {
      const double bearing = k * 10 * M_PI / 180;
      const double d = r * M_PI / 180;
      const double dec0 = c.dec_deg * M_PI / 180;
      const double dec = std::asin(std::sin(dec0) * std::cos(d) +
                                   std::cos(dec0) * std::sin(d) * std::cos(bearing));
      double ra1 = c.ra_deg + std::atan2(std::sin(bearing) * std::sin(d) * std::cos(dec0),
                                         std::cos(d) - std::sin(dec0) * std::sin(dec)) *
                                  180 / M_PI;
      ra1 = std::fmod(ra1 + 360, 360);
      sky.push_back({ra1, dec * 180 / M_PI});
    }
    for (const auto& p : sky) {
      if (angular_distance_deg(c, p) <= r) {
        ++inside;
        EXPECT_TRUE(in_window(window, p)) << "centre " << c.ra_deg << "," << c.dec_deg << " r " << r
                                          << " point " << p.ra_deg << "," << p.dec_deg;
      }
    }
    sky.resize(5000);
  }
  EXPECT_GT(inside, 1000) << "the test must actually find points inside cones";
}

Json source(long long id, double ra, double dec) {
  return {{"id", id}, {"name", "s" + std::to_string(id)}, {"ra_deg", ra}, {"dec_deg", dec}};
}

TEST(ConeSearch, PagesAreNearestFirstAndListEveryMatchOnce) {
  std::vector<Json> candidates;
  for (int i = 1; i <= 50; ++i)
    candidates.push_back(source(i, std::fmod(359.5 + i * 0.02, 360), 0));
  candidates.push_back(source(99, 10, 10));  // in no cone below
  candidates.push_back({{"id", 100}, {"name", "no position"}});
  const SkyPosition center{0, 0};
  std::set<long long> seen;
  std::optional<std::pair<std::string, long long>> after;
  double last = -1;
  for (int page = 0; page < 20; ++page) {
    auto items = cone_page(candidates, center, 1.0, after, 7);
    const bool more = items.size() > 7;
    if (more) items.resize(7);
    for (const auto& item : items) {
      const double d = item["distance_deg"].get<double>();
      EXPECT_GE(d, last);
      last = d;
      EXPECT_TRUE(seen.insert(item["id"].get<long long>()).second) << "listed twice";
    }
    if (!more) break;
    after = std::make_pair(distance_key(items.back()["distance_deg"].get<double>()),
                           items.back()["id"].get<long long>());
  }
  std::set<long long> expected;
  for (const auto& c : candidates) {
    if (c.contains("ra_deg") && angular_distance_deg(center, {c["ra_deg"].get<double>(),
                                                              c["dec_deg"].get<double>()}) <= 1.0) {
      expected.insert(c["id"].get<long long>());
    }
  }
  EXPECT_EQ(seen, expected);
}

TEST(ConeSearch, DistanceKeysRoundTripExactly) {
  for (double d : {0.0, 1e-12, 0.1, 1.0 / 3, 179.99999999999997}) {
    const auto key = distance_key(d);
    double back = 0;
    std::from_chars(key.data(), key.data() + key.size(), back);
    EXPECT_EQ(back, d) << key;
  }
}

std::string filter_error(const std::map<std::string, std::string>& query) {
  try {
    parse_source_filter(query);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_request);
    return e.what();
  }
  return "";
}

TEST(SourceFilter, ParsesWhatTheUiSendsAndRefusesTheRestNamingTheParameter) {
  const auto f = parse_source_filter({{"name", "Orion"},
                                      {"type", "fixed_source"},
                                      {"ra", "359.9"},
                                      {"dec", "-89.5"},
                                      {"radius", "0.5"},
                                      {"limit", "20"}});
  ASSERT_TRUE(f.cone);
  EXPECT_EQ(f.cone->center.ra_deg, 359.9);
  EXPECT_EQ(f.cone->radius_deg, 0.5);
  EXPECT_EQ(f.limit, 20);
  EXPECT_EQ(*f.name_contains, "Orion");

  EXPECT_NE(filter_error({{"ra", "360"}, {"dec", "0"}, {"radius", "1"}}).find("ra"),
            std::string::npos);
  EXPECT_NE(filter_error({{"ra", "1"}, {"dec", "90.5"}, {"radius", "1"}}).find("dec"),
            std::string::npos);
  EXPECT_NE(filter_error({{"ra", "1"}, {"dec", "0"}, {"radius", "0"}}).find("radius"),
            std::string::npos);
  EXPECT_NE(filter_error({{"ra", "1"}, {"dec", "0"}, {"radius", "nan"}}).find("radius"),
            std::string::npos);
  EXPECT_NE(filter_error({{"ra", "1"}, {"dec", "0"}}).find("together"), std::string::npos);
  EXPECT_NE(filter_error({{"type", "planet"}}).find("type"), std::string::npos);
  EXPECT_NE(filter_error({{"limit", "0"}}).find("limit"), std::string::npos);
  EXPECT_NE(filter_error({{"cursor", "junk"}}).find("cursor"), std::string::npos);
  EXPECT_NE(filter_error({{"sort", "x"}}).find("sort"), std::string::npos);
  const auto cursor = make_source_cursor("Orion KL", 1);
  EXPECT_EQ(parse_source_filter({{"cursor", cursor}}).after->first, "Orion KL");
  // A name cursor is not a distance: refused with a cone.
  EXPECT_NE(
      filter_error({{"cursor", cursor}, {"ra", "1"}, {"dec", "0"}, {"radius", "1"}}).find("cursor"),
      std::string::npos);
}

}  // namespace
}  // namespace opsdb
