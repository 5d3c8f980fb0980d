// The visibility service over an in-memory catalogue: answers agree with night_visibility,
// nights come from the cache while fresh and within its bounds, requests are bounded, and a
// full computing queue answers busy.

#include "opsdb/astro/visibility_service.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "opsdb/core/error.hpp"
#include "support/api_fakes.hpp"

namespace opsdb {
namespace {

using namespace std::chrono;
using nlohmann::json;

class MapCatalog final : public SourceCatalog {
 public:
  std::map<long long, Record> records;
  int lookups = 0;

  void sources(const SourceFilter&, Callback<std::vector<Record>> done) override {
    done(std::vector<Record>{});
  }
  void source(long long id, bool, Callback<std::optional<Record>> done) override {
    ++lookups;
    const auto it = records.find(id);
    done(it == records.end() ? std::optional<Record>{} : std::optional<Record>{it->second});
  }
  void resolve(const std::string&, Callback<std::optional<Record>> done) override {
    done(std::optional<Record>{});
  }
};

// Jobs wait until the test runs them; at most `limit` wait.
class ManualPool {
 public:
  explicit ManualPool(std::size_t limit) : limit_(limit) {}
  Offload offload() {
    return [this](std::function<void()> work, std::function<void()> after) {
      if (jobs_.size() >= limit_) return false;
      jobs_.push_back({std::move(work), std::move(after)});
      return true;
    };
  }
  void run_all() {
    while (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      job.first();
      job.second();
    }
  }
  std::size_t waiting() const { return jobs_.size(); }

 private:
  std::size_t limit_;
  std::deque<std::pair<std::function<void()>, std::function<void()>>> jobs_;
};

constexpr year_month_day kDate{year{2026}, March, day{10}};

json fixed(long long id, double ra, double dec) {
  return {{"id", id},
          {"name", "src-" + std::to_string(id)},
          {"type", "fixed_source"},
          {"ra_deg", ra},
          {"dec_deg", dec}};
}

// Waits for nothing: every callback of these tests runs before the call returns.
template <typename T>
Result<T> outcome_of(const std::function<void(Callback<T>)>& call) {
  std::optional<Result<T>> result;
  call([&result](Result<T> r) { result.emplace(std::move(r)); });
  EXPECT_TRUE(result.has_value()) << "no answer";
  return result ? std::move(*result) : Result<T>(Error{Fault::internal, "no answer", ""});
}

class VisibilityServiceTest : public ::testing::Test {
 protected:
  VisibilityServiceTest() {
    catalog_.records[1] = fixed(1, 83.81, -5.37);    // Orion KL
    catalog_.records[2] = fixed(2, 266.42, -29.01);  // Sgr A*
    catalog_.records[3] = fixed(3, 201.37, -43.02);  // Cen A
    catalog_.records[4] = {{"id", 4},
                           {"name", "Jupiter"},
                           {"type", "solar_system_object"},
                           {"ra_deg", nullptr},
                           {"dec_deg", nullptr}};
  }

  std::unique_ptr<VisibilityService> service(VisibilityCache::Options cache = {},
                                             Offload offload = test::inline_offload()) {
    return std::make_unique<VisibilityService>(test::default_site(), catalog_, std::move(offload),
                                               cache, clock_);
  }

  static Result<SourceNight> night(VisibilityService& s, long long id,
                                   std::optional<year_month_day> date = kDate, int step = 10) {
    return outcome_of<SourceNight>(
        [&](Callback<SourceNight> done) { s.night(id, date, step, std::move(done)); });
  }

  static Result<std::string> nights(VisibilityService& s, NightsRequest request,
                                    NightGrid* seen = nullptr) {
    return outcome_of<std::string>([&](Callback<std::string> done) {
      s.nights(
          request,
          [seen](const NightGrid& grid) {
            if (seen != nullptr) *seen = grid;
            return std::string("rendered");
          },
          std::move(done));
    });
  }

  MapCatalog catalog_;
  ManualClock clock_{sys_days{kDate} + hours(20)};
};

TEST_F(VisibilityServiceTest, ANightAgreesWithTheDirectComputationAndIsCachedAfterwards) {
  auto s = service();
  auto first = night(*s, 1);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->cached);
  ASSERT_NE(first->night, nullptr);
  const auto direct = night_visibility(test::default_site(), {83.81, -5.37}, kDate, 10);
  ASSERT_EQ(first->night->samples.size(), direct.samples.size());
  EXPECT_EQ(first->night->samples.size(), 145u);
  for (std::size_t i = 0; i < direct.samples.size(); ++i) {
    EXPECT_EQ(first->night->samples[i].time, direct.samples[i].time);
    EXPECT_DOUBLE_EQ(first->night->samples[i].elevation_deg, direct.samples[i].elevation_deg);
  }
  EXPECT_EQ(first->night->transit, direct.transit);
  EXPECT_EQ(first->night->rise, direct.rise);
  EXPECT_DOUBLE_EQ(first->night->max_elevation_deg, direct.max_elevation_deg);
  EXPECT_EQ(first->source["name"], "src-1");

  auto second = night(*s, 1);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->cached);
  EXPECT_EQ(second->night, first->night) << "the same computed night, from memory";
  const auto stats = s->cache_stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.nights, 1u);

  // Another step or date is another night.
  EXPECT_FALSE(night(*s, 1, kDate, 5)->cached);
  EXPECT_FALSE(night(*s, 1, year_month_day{sys_days{kDate} + days(1)})->cached);
}

TEST_F(VisibilityServiceTest, ChangedCoordinatesMissTheCache) {
  auto s = service();
  ASSERT_FALSE(night(*s, 1)->cached);
  ASSERT_TRUE(night(*s, 1)->cached);
  catalog_.records[1]["dec_deg"] = -5.38;
  auto moved = night(*s, 1);
  EXPECT_FALSE(moved->cached);
  EXPECT_DOUBLE_EQ(
      moved->night->max_elevation_deg,
      night_visibility(test::default_site(), {83.81, -5.38}, kDate, 10).max_elevation_deg);
}

TEST_F(VisibilityServiceTest, TheLeastRecentlyUsedNightIsEvictedFirst) {
  auto s = service({.max_nights = 2});
  EXPECT_TRUE(night(*s, 1).ok());
  EXPECT_TRUE(night(*s, 2).ok());
  EXPECT_TRUE(night(*s, 1)->cached);  // 1 is now the more recently used
  EXPECT_TRUE(night(*s, 3).ok());     // evicts 2
  EXPECT_EQ(s->cache_stats().nights, 2u);
  EXPECT_TRUE(night(*s, 1)->cached);
  EXPECT_TRUE(night(*s, 3)->cached);
  EXPECT_FALSE(night(*s, 2)->cached);
}

TEST_F(VisibilityServiceTest, FineStepsAreBoundedBySamplesNotOnlyByNights) {
  // Two nights at the default step fit; one night at a 1-minute step holds ten times as many
  // samples, so it displaces them.
  auto s = service({.max_nights = 2});
  EXPECT_TRUE(night(*s, 1).ok());
  EXPECT_TRUE(night(*s, 2).ok());
  EXPECT_TRUE(night(*s, 3, kDate, 1).ok());
  const auto stats = s->cache_stats();
  EXPECT_EQ(stats.nights, 1u);
  EXPECT_EQ(stats.samples, 1441u);
  EXPECT_TRUE(night(*s, 3, kDate, 1)->cached);
}

TEST_F(VisibilityServiceTest, ANightIsForgottenAfterItsTimeToLive) {
  auto s = service({.max_nights = 10, .ttl = hours(24)});
  EXPECT_TRUE(night(*s, 1).ok());
  clock_.advance(hours(23));
  EXPECT_TRUE(night(*s, 1)->cached);
  clock_.advance(hours(2));
  EXPECT_FALSE(night(*s, 1)->cached) << "computed 25 hours ago";
  EXPECT_TRUE(night(*s, 1)->cached) << "computed again just now";
}

TEST_F(VisibilityServiceTest, AnEmptyCacheKeepsNothing) {
  auto s = service({.max_nights = 0});
  EXPECT_TRUE(night(*s, 1).ok());
  EXPECT_FALSE(night(*s, 1)->cached);
}

TEST_F(VisibilityServiceTest, UnknownAndNonFixedSources) {
  auto s = service();
  auto missing = night(*s, 99);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().fault, Fault::not_found);
  EXPECT_EQ(missing.error().code, kUnknownSources);

  auto jupiter = night(*s, 4);
  ASSERT_TRUE(jupiter.ok());
  EXPECT_EQ(jupiter->night, nullptr) << "no fixed position to follow";
  EXPECT_EQ(jupiter->source["name"], "Jupiter");
}

TEST_F(VisibilityServiceTest, TonightIsTheNightThatContainsNow) {
  // At Chajnantor (67.74° W) a night begins at 12:00 UTC + 4 h 30 min 58 s, to the minute:
  // 16:30 UTC.
  const auto at = [this](sys_days date, minutes time) {
    clock_ = ManualClock(date + time);
    return service()->tonight();
  };
  const sys_days day{kDate};
  EXPECT_EQ(at(day, hours(16) + minutes(29)), year_month_day{day - days(1)});
  EXPECT_EQ(at(day, hours(16) + minutes(30)), kDate);
  EXPECT_EQ(at(day, hours(23) + minutes(59)), kDate);
  EXPECT_EQ(at(day + days(1), hours(3)), kDate) << "after midnight UTC, still the same night";
  EXPECT_EQ(night_visibility(test::default_site(), {0, 0}, kDate, 60).start,
            day + hours(16) + minutes(30));
}

TEST_F(VisibilityServiceTest, AFullComputingQueueAnswersBusyButCachedNightsStillAnswer) {
  ManualPool pool(1);
  auto s = service({}, pool.offload());
  std::optional<Result<SourceNight>> queued;
  s->night(1, kDate, 10, [&](Result<SourceNight> r) { queued.emplace(std::move(r)); });
  EXPECT_FALSE(queued) << "waits for the computing thread";
  EXPECT_EQ(pool.waiting(), 1u);

  auto refused = night(*s, 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().fault, Fault::unavailable);
  EXPECT_EQ(refused.error().code, kVisibilityBusy);
  auto refused_grid = nights(*s, {.source_ids = {2, 3}, .start = kDate, .days = 2});
  ASSERT_FALSE(refused_grid.ok());
  EXPECT_EQ(refused_grid.error().code, kVisibilityBusy);

  pool.run_all();
  ASSERT_TRUE(queued && queued->ok());
  EXPECT_FALSE((*queued)->cached);
  // The queue is full again, but a cached night needs no computing thread.
  s->night(3, kDate, 10, [](Result<SourceNight>) {});
  EXPECT_TRUE(night(*s, 1)->cached);
}

TEST_F(VisibilityServiceTest, NightsOfSeveralSourcesComeFromTheCacheWhereTheyCan) {
  auto s = service();
  EXPECT_TRUE(night(*s, 2, kDate).ok());
  NightGrid grid;
  auto text = nights(*s, {.source_ids = {1, 2}, .start = kDate, .days = 3}, &grid);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, "rendered");
  EXPECT_EQ(grid.computed, 5);
  EXPECT_EQ(grid.already_cached, 1);
  ASSERT_EQ(grid.nights.size(), 2u);
  ASSERT_EQ(grid.nights[1].size(), 3u);
  EXPECT_EQ(grid.sources[1]["name"], "src-2");
  EXPECT_EQ(grid.nights[1][2]->start,
            night_visibility(test::default_site(), {266.42, -29.01},
                             year_month_day{sys_days{kDate} + days(2)}, 10)
                .start);

  EXPECT_TRUE(nights(*s, {.source_ids = {1, 2}, .start = kDate, .days = 3}, &grid).ok());
  EXPECT_EQ(grid.computed, 0);
  EXPECT_EQ(grid.already_cached, 6);
}

TEST_F(VisibilityServiceTest, NightsNameEveryUnknownAndEveryNonFixedSource) {
  auto s = service();
  auto missing = nights(*s, {.source_ids = {1, 98, 99}, .start = kDate, .days = 1});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, kUnknownSources);
  EXPECT_NE(missing.error().message.find("98, 99"), std::string::npos) << missing.error().message;

  auto planet = nights(*s, {.source_ids = {1, 4}, .start = kDate, .days = 1});
  ASSERT_FALSE(planet.ok());
  EXPECT_EQ(planet.error().code, kNotFixedSources);
  EXPECT_NE(planet.error().message.find('4'), std::string::npos);
}

// The parsers of outside input.

ErrorKind refusal(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const ApiError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "accepted";
  return ErrorKind::internal;
}

TEST(VisibilityRequest, ANightQueryHasDefaultsAndRefusesWhatIsNotADateOrAStep) {
  auto q = parse_night_query({});
  EXPECT_FALSE(q.date);
  EXPECT_EQ(q.step_minutes, 10);
  q = parse_night_query({{"date", "2026-03-10"}, {"step_minutes", "5"}});
  EXPECT_EQ(q.date, kDate);
  EXPECT_EQ(q.step_minutes, 5);
  EXPECT_EQ(parse_night_query({{"step_minutes", "120"}}).step_minutes, 120);
  EXPECT_EQ(parse_night_query({{"date", "2199-12-31"}}).date,
            (year_month_day{year{2199}, December, day{31}}));

  for (const std::string date :
       {"2026-02-29", "2026-13-01", "1899-12-31", "2200-01-01", "2026-3-10", "10/03/2026",
        "tonight", "", "2026-03-10T00:00", "+026-03-10", "2026-03-1x"}) {
    EXPECT_EQ(refusal([&] {
                parse_night_query({{"date", date}});
              }),
              ErrorKind::bad_request)
        << date;
  }
  for (const std::string step : {"0", "121", "-5", "+5", "5.0", "five", "", "99999999999999"}) {
    EXPECT_EQ(refusal([&] {
                parse_night_query({{"step_minutes", step}});
              }),
              ErrorKind::bad_request)
        << step;
  }
  EXPECT_EQ(refusal([] { parse_night_query({{"day", "2026-03-10"}}); }), ErrorKind::bad_request);
}

TEST(VisibilityRequest, AHeatmapIsBoundedInSourcesDaysAndSamples) {
  auto r = parse_heatmap_query({{"source_ids", "3,1,3,2"}, {"start", "2026-03-10"}});
  EXPECT_EQ(r.source_ids, (std::vector<long long>{3, 1, 2})) << "in order, once each";
  EXPECT_EQ(r.days, 7);
  EXPECT_EQ(r.step_minutes, 10);
  EXPECT_EQ(r.start, kDate);

  std::string twenty, twenty_one;
  for (int i = 1; i <= 21; ++i) (i <= 20 ? twenty : twenty_one) += std::to_string(i) + ",";
  twenty.pop_back();
  twenty_one = twenty + "," + "21";
  // 20 sources x 62 nights x 145 samples = 179,800: within the bound.
  r = parse_heatmap_query(
      {{"source_ids", twenty}, {"start", "2026-03-10"}, {"days", "62"}, {"step_minutes", "10"}});
  EXPECT_EQ(r.samples(), 179'800);

  const auto refused_with = [](const std::map<std::string, std::string>& query) {
    try {
      parse_heatmap_query(query);
    } catch (const ApiError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_request);
      return std::string(e.what());
    }
    ADD_FAILURE() << "accepted";
    return std::string();
  };
  EXPECT_NE(refused_with({{"source_ids", twenty_one}, {"start", "2026-03-10"}}).find("20"),
            std::string::npos);
  EXPECT_NE(refused_with({{"source_ids", "1"}, {"start", "2026-03-10"}, {"days", "63"}}).find("62"),
            std::string::npos);
  EXPECT_NE(
      refused_with(
          {{"source_ids", twenty}, {"start", "2026-03-10"}, {"days", "62"}, {"step_minutes", "5"}})
          .find("200000"),
      std::string::npos);
  EXPECT_NE(refused_with({{"source_ids", "1"}, {"start", "2199-12-30"}, {"days", "3"}})
                .find("2199-12-31"),
            std::string::npos);
  for (const auto& query : std::vector<std::map<std::string, std::string>>{
           {{"start", "2026-03-10"}},
           {{"source_ids", "1"}},
           {{"source_ids", ""}, {"start", "2026-03-10"}},
           {{"source_ids", "1,,2"}, {"start", "2026-03-10"}},
           {{"source_ids", "0"}, {"start", "2026-03-10"}},
           {{"source_ids", "1,-2"}, {"start", "2026-03-10"}},
           {{"source_ids", "1 2"}, {"start", "2026-03-10"}},
           {{"source_ids", "1"}, {"start", "2026-03-10"}, {"days", "0"}},
           {{"source_ids", "1"}, {"start", "2026-03-10"}, {"colour", "red"}}}) {
    refused_with(query);
  }
}

TEST(VisibilityRequest, APrecalculateBodyIsCheckedLikeTheHeatmap) {
  auto r =
      parse_precalculate_body(json{{"source_ids", {5, 6}}, {"start", "2026-03-10"}, {"days", 30}});
  EXPECT_EQ(r.source_ids, (std::vector<long long>{5, 6}));
  EXPECT_EQ(r.days, 30);
  EXPECT_EQ(r.step_minutes, 10);
  EXPECT_EQ(
      parse_precalculate_body(
          json{{"source_ids", {5}}, {"start", "2026-03-10"}, {"days", 1}, {"step_minutes", 2}})
          .step_minutes,
      2);
  const json valid{{"source_ids", {5}}, {"start", "2026-03-10"}, {"days", 1}};
  std::vector<json> bad{json::array(), json("x"), json::object()};
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, json>>{{"source_ids", json::array()},
                                                 {"source_ids", json{1.5}},
                                                 {"source_ids", json{-1}},
                                                 {"source_ids", json{"1"}},
                                                 {"source_ids", json{18446744073709551615ULL}},
                                                 {"source_ids", "1,2"},
                                                 {"start", 20260310},
                                                 {"start", "2026-02-30"},
                                                 {"days", 0},
                                                 {"days", 63},
                                                 {"days", 1.0},
                                                 {"days", 18446744073709551615ULL},
                                                 {"step_minutes", 121},
                                                 {"step_minutes", "5"},
                                                 {"extra", true}}) {
    auto body = valid;
    body[key] = value;
    bad.push_back(body);
  }
  for (const char* key : {"source_ids", "start", "days"}) {
    auto body = valid;
    body.erase(key);
    bad.push_back(body);
  }
  for (const auto& body : bad) {
    EXPECT_EQ(refusal([&] { parse_precalculate_body(body); }), ErrorKind::bad_request) << body;
  }
}

}  // namespace
}  // namespace opsdb
