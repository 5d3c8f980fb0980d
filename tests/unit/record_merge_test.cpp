// The merge rules of reads at a secondary site, from tables: which source wins a field, what an
// overlay alone means, how child collections and list positions come out.
#include "opsdb/query/record_merge.hpp"

#include <gtest/gtest.h>

#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

const char* kObs = "11111111-1111-4111-8111-111111111111";
const char* kOther = "22222222-2222-4222-8222-222222222222";

BufferedRecord buffered(std::optional<json> row, json overlay = json::object()) {
  return BufferedRecord{std::move(row), std::move(overlay)};
}

struct MergeCase {
  const char* name;
  std::optional<json> replica;
  BufferedRecord buffer;
  std::optional<json> expected;
};

TEST(RecordMergeTest, FieldByFieldOverlayOverBufferedOverReplica) {
  const json replica = {{"id", kObs},
                        {"status", "running"},
                        {"obs_unit_id", 1},
                        {"start_time", "2026-11-25 16:00:00+00"},
                        {"end_time", nullptr}};
  const json row = {{"id", kObs},
                    {"status", "running"},
                    {"obs_unit_id", 1},
                    {"start_time", "2026-11-25T16:00:00.000000Z"},
                    {"end_time", nullptr}};
  const json finished = {{"status", "completed"}, {"end_time", "2026-11-25T17:00:00.5Z"}};
  const MergeCase cases[] = {
      {"replica only", replica, buffered(std::nullopt),
       json{{"id", kObs},
            {"status", "running"},
            {"obs_unit_id", 1},
            {"start_time", "2026-11-25T16:00:00.000000Z"},
            {"end_time", nullptr}}},
      {"buffer only", std::nullopt, buffered(row), row},
      {"in both: the buffered row's fields win, the replica's others stay", replica,
       buffered(json{{"id", kObs}, {"status", "failed"}}),
       json{{"id", kObs},
            {"status", "failed"},
            {"obs_unit_id", 1},
            {"start_time", "2026-11-25T16:00:00.000000Z"},
            {"end_time", nullptr}}},
      {"overlay of a record only on the replica", replica, buffered(std::nullopt, finished),
       json{{"id", kObs},
            {"status", "completed"},
            {"obs_unit_id", 1},
            {"start_time", "2026-11-25T16:00:00.000000Z"},
            {"end_time", "2026-11-25T17:00:00.500000Z"}}},
      {"overlay over a buffered row over a replica row", replica, buffered(row, finished),
       json{{"id", kObs},
            {"status", "completed"},
            {"obs_unit_id", 1},
            {"start_time", "2026-11-25T16:00:00.000000Z"},
            {"end_time", "2026-11-25T17:00:00.500000Z"}}},
      {"overlay of a record never buffered here nor replicated", std::nullopt,
       buffered(std::nullopt, finished), std::nullopt},
      {"nothing at all", std::nullopt, buffered(std::nullopt), std::nullopt},
  };
  for (const auto& c : cases) {
    auto merged =
        merge_record("executed_obs_unit", c.replica ? &*c.replica : nullptr, c.buffer);
    EXPECT_EQ(merged, c.expected) << c.name;
  }
}

TEST(RecordMergeTest, TimestampsEqualAcrossSourcesCompareEqualAndTieOnId) {
  const auto& table = *SchemaRegistry::instance().table("executed_obs_unit");
  const json from_replica = {{"id", kOther}, {"start_time", "2026-11-25 16:00:00.25+00"}};
  const json from_buffer = {{"id", kObs}, {"start_time", "2026-11-25T16:00:00.250000Z"}};
  auto a = merge_record(table.name, &from_replica, buffered(std::nullopt));
  auto b = merge_record(table.name, nullptr, buffered(from_buffer));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(list_position(table, *a).time, list_position(table, *b).time);
  EXPECT_LT(list_position(table, *b), list_position(table, *a));  // same time: by id
}

TEST(RecordMergeTest, CollectionsMergeByIdFilterAfterTheMergeAndSortOldestFirst) {
  const auto& files = *SchemaRegistry::instance().table("raw_data_file");
  const char* pkg = "33333333-3333-4333-8333-333333333333";
  auto file = [&](const char* id, const char* created, json package) {
    return json{{"id", id},
                {"executed_obs_unit_id", kObs},
                {"raw_data_package_id", package},
                {"created_at", created}};
  };
  const char* f1 = "a0000000-0000-4000-8000-000000000001";
  const char* f2 = "a0000000-0000-4000-8000-000000000002";
  const char* f3 = "a0000000-0000-4000-8000-000000000003";
  const char* f4 = "a0000000-0000-4000-8000-000000000004";
  // f1 and f2 replicated; f2 also still cached; f3 buffered for the replicated observation; f4
  // replicated and attached to the package by a pending update.
  std::vector<json> replica = {file(f1, "2026-11-25 16:00:02+00", nullptr),
                               file(f2, "2026-11-25 16:00:01+00", pkg),
                               file(f4, "2026-11-25 16:00:04+00", nullptr)};
  std::map<std::string, BufferedRecord> pending;
  pending[f2] = buffered(file(f2, "2026-11-25T16:00:01.000000Z", pkg));
  pending[f3] = buffered(file(f3, "2026-11-25T16:00:03.000000Z", pkg));
  pending[f4] = buffered(std::nullopt, json{{"raw_data_package_id", pkg}});
  pending[kOther] = buffered(std::nullopt, json{{"raw_data_package_id", pkg}});  // no row

  auto of_obs = merge_collection(files, replica, pending, "executed_obs_unit_id", kObs);
  ASSERT_EQ(of_obs.size(), 4u);
  std::vector<std::string> ids;
  for (const auto& f : of_obs) ids.push_back(f["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{f2, f1, f3, f4}));
  EXPECT_EQ(of_obs[3]["raw_data_package_id"], pkg);

  auto of_pkg = merge_collection(files, replica, pending, "raw_data_package_id", pkg);
  ids.clear();
  for (const auto& f : of_pkg) ids.push_back(f["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{f2, f3, f4}));
}

TEST(RecordMergeTest, FilterAppliesToTheMergedObservation) {
  const json o = {{"id", kObs},
                  {"obs_unit_id", 7},
                  {"status", "completed"},
                  {"start_time", "2026-11-25T16:00:00.000000Z"}};
  struct Case {
    const char* query_name;
    std::map<std::string, std::string> query;
    bool matches;
  };
  const Case cases[] = {
      {"no filter", {}, true},
      {"obs unit", {{"obs_unit_id", "7"}}, true},
      {"other obs unit", {{"obs_unit_id", "8"}}, false},
      {"status", {{"status", "completed"}}, true},
      {"other status", {{"status", "running"}}, false},
      {"since = start", {{"since", "2026-11-25T16:00:00Z"}}, true},
      {"since after", {{"since", "2026-11-25T16:00:00.000001Z"}}, false},
      {"until = start (exclusive)", {{"until", "2026-11-25T16:00:00Z"}}, false},
      {"until after", {{"until", "2026-11-25T16:00:01Z"}}, true},
      {"cursor after it", {{"cursor", std::string("2026-11-25T17:00:00.000000Z_") + kObs}}, true},
      {"cursor at it", {{"cursor", std::string("2026-11-25T16:00:00.000000Z_") + kObs}}, false},
      {"cursor same time, higher id",
       {{"cursor", std::string("2026-11-25T16:00:00.000000Z_") + kOther}},
       true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(matches_filter(parse_observation_filter(c.query), o), c.matches) << c.query_name;
  }
}

}  // namespace
}  // namespace opsdb
