// Reads at a secondary site: the replica and the buffer merged, over the in-memory sources of
// support/merge_fakes.hpp, so lists, pages and failing sources are exercised without services.
#include "opsdb/query/smart_query.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/query/record_merge.hpp"
#include "opsdb/schema/schema_registry.hpp"
#include "support/merge_fakes.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

using test::at_second;
using test::FakeBuffer;
using test::FakeReplica;
using test::uuid;

json observation(int n, int obs_unit, int second, const char* status = "running") {
  return {{"id", uuid(n)},
          {"obs_unit_id", obs_unit},
          {"status", status},
          {"start_time", at_second(second)},
          {"end_time", nullptr}};
}

class SmartQueryTest : public ::testing::Test {
 protected:
  // A write buffered at this site.
  void buffer(const std::string& t, const json& row) { buffer_.insert(t, row); }
  // A record whose writes are all on the replica (and no longer cached).
  void replicated(const std::string& t, const json& row) { replica_.tables[t][row["id"]] = row; }
  // The drain applied and the replica replayed everything about a buffered record.
  void move_to_replica(const std::string& t, const std::string& id) {
    json row = *buffer_.row(t, id);
    const json overlay = buffer_.overlay(t, id);
    for (const auto& [k, v] : overlay.items()) row[k] = v;
    replica_.tables[t][id] = row;
    buffer_.forget(t, id);
  }

  Read<ObservationPage> list(std::map<std::string, std::string> query) {
    std::optional<Result<Read<ObservationPage>>> answer;
    query_.observations(parse_observation_filter(query), [&](auto r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value());
    EXPECT_TRUE(answer->ok()) << answer->error().message;
    return std::move(answer->value());
  }
  Result<Read<std::optional<json>>> get(const char* what, const std::string& id) {
    std::optional<Result<Read<std::optional<json>>>> answer;
    auto cb = [&](auto r) { answer = std::move(r); };
    if (std::string(what) == "observation") query_.observation(id, cb);
    if (std::string(what) == "file") query_.raw_data_file(id, cb);
    if (std::string(what) == "package") query_.raw_data_package(id, cb);
    EXPECT_TRUE(answer.has_value());
    return std::move(*answer);
  }
  // Every page of a list, following next_cursor; `between` runs before each next page.
  std::vector<std::string> all_pages(std::map<std::string, std::string> query,
                                     const std::function<void()>& between = [] {}) {
    std::vector<std::string> ids;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = list(query).value;
      for (const auto& item : page.items) ids.push_back(item["id"]);
      if (!page.next_cursor) break;
      query["cursor"] = *page.next_cursor;
      between();
    }
    return ids;
  }

  FakeBuffer buffer_;
  FakeReplica replica_;
  SmartQuery query_{replica_, &buffer_};
};

std::vector<std::string> ids_of(const std::vector<json>& items) {
  std::vector<std::string> ids;
  for (const auto& i : items) ids.push_back(i["id"]);
  return ids;
}

TEST_F(SmartQueryTest, ListMergesBothSourcesNewestFirstAndLimitsAfterTheMerge) {
  for (int i = 1; i <= 10; ++i) {
    auto o = observation(i, 1, i * 10);
    if (i % 2) {
      buffer("executed_obs_unit", o);
    } else {
      replicated("executed_obs_unit", o);
    }
  }
  buffer("executed_obs_unit", observation(99, 2, 55));  // another obs unit
  auto page = list({{"obs_unit_id", "1"}, {"limit", "3"}});
  EXPECT_EQ(ids_of(page.value.items), (std::vector<std::string>{uuid(10), uuid(9), uuid(8)}));
  EXPECT_FALSE(page.buffer_unavailable);
  ASSERT_TRUE(page.value.next_cursor);

  std::vector<std::string> expected;
  for (int i = 10; i >= 1; --i) expected.push_back(uuid(i));
  EXPECT_EQ(all_pages({{"obs_unit_id", "1"}, {"limit", "3"}}), expected);
  auto everything = all_pages({{"limit", "4"}});
  EXPECT_EQ(everything.size(), 11u);
  EXPECT_EQ(everything[5], uuid(99));
}

TEST_F(SmartQueryTest, ARecordInBothSourcesIsListedOnce) {
  auto o = observation(1, 1, 10);
  replicated("executed_obs_unit", o);
  buffer("executed_obs_unit", o);  // replayed, caches not yet dropped
  buffer_.update("executed_obs_unit", uuid(1), {{"status", "completed"}});
  auto page = list({{"obs_unit_id", "1"}});
  ASSERT_EQ(page.value.items.size(), 1u);
  EXPECT_EQ(page.value.items[0]["status"], "completed");
}

TEST_F(SmartQueryTest, PagesStayCorrectWhileRecordsMoveFromBufferToReplica) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    buffer_ = FakeBuffer();
    replica_.tables.clear();
    std::mt19937 random(seed);
    std::vector<std::string> expected;
    // Several observations per second, so equal start times meet page boundaries.
    for (int i = 60; i >= 1; --i) {
      auto o = observation(i, 1 + i % 2, i / 3);
      (random() % 4 == 0 ? replicated("executed_obs_unit", o) : buffer("executed_obs_unit", o));
    }
    auto all_ids = [&] {
      std::vector<std::pair<std::string, std::string>> order;
      for (int i = 1; i <= 60; ++i) order.emplace_back(at_second(i / 3), uuid(i));
      std::sort(order.rbegin(), order.rend());
      std::vector<std::string> ids;
      for (auto& [t, id] : order) ids.push_back(id);
      return ids;
    }();
    // Between pages the drain moves a random handful to the replica.
    auto drain_some = [&] {
      for (int k = 0; k < 5; ++k) {
        auto id = uuid(1 + random() % 60);
        if (buffer_.row("executed_obs_unit", id)) move_to_replica("executed_obs_unit", id);
      }
    };
    EXPECT_EQ(all_pages({{"limit", std::to_string(1 + seed % 7)}}, drain_some), all_ids)
        << "seed " << seed;
  }
}

TEST_F(SmartQueryTest, StatusFilterSeesPendingStatusChangesOfReplicatedRecords) {
  replicated("executed_obs_unit", observation(1, 1, 10, "running"));
  replicated("executed_obs_unit", observation(2, 1, 20, "completed"));
  replicated("executed_obs_unit", observation(3, 1, 30, "completed"));
  buffer("executed_obs_unit", observation(4, 1, 40, "running"));
  buffer_.update("executed_obs_unit", uuid(1), {{"status", "completed"}});  // finished now
  buffer_.update("executed_obs_unit", uuid(2), {{"status", "failed"}});     // changed away
  buffer_.update("executed_obs_unit", uuid(4), {{"status", "completed"}});

  auto completed = list({{"status", "completed"}});
  EXPECT_EQ(ids_of(completed.value.items),
            (std::vector<std::string>{uuid(4), uuid(3), uuid(1)}));
  EXPECT_EQ(ids_of(list({{"status", "failed"}}).value.items), (std::vector<std::string>{uuid(2)}));
  EXPECT_TRUE(list({{"status", "running"}}).value.items.empty());
  EXPECT_EQ(all_pages({{"status", "completed"}, {"limit", "1"}}),
            (std::vector<std::string>{uuid(4), uuid(3), uuid(1)}));
}

TEST_F(SmartQueryTest, MoreChunksAreReadWhenTheMergeDropsRows) {
  // The replica's 50 newest completed observations all failed since; the page must reach
  // past them to the older ones.
  for (int i = 1; i <= 60; ++i) replicated("executed_obs_unit", observation(i, 1, i, "completed"));
  for (int i = 11; i <= 60; ++i) {
    buffer_.update("executed_obs_unit", uuid(i), {{"status", "failed"}});
  }
  auto page = list({{"status", "completed"}, {"limit", "3"}});
  EXPECT_EQ(ids_of(page.value.items), (std::vector<std::string>{uuid(10), uuid(9), uuid(8)}));
  EXPECT_EQ(all_pages({{"status", "completed"}, {"limit", "4"}}).size(), 10u);
}

TEST_F(SmartQueryTest, SinceAndUntilBoundBothSources) {
  for (int i = 1; i <= 10; ++i) {
    auto o = observation(i, 1, i);
    (i % 2 ? buffer("executed_obs_unit", o) : replicated("executed_obs_unit", o));
  }
  auto page = list({{"since", at_second(3)}, {"until", at_second(7)}});
  EXPECT_EQ(ids_of(page.value.items),
            (std::vector<std::string>{uuid(6), uuid(5), uuid(4), uuid(3)}));
}

TEST_F(SmartQueryTest, ObservationDocumentMergesItsCollections) {
  const auto obs = uuid(1), pkg = uuid(50);
  replicated("executed_obs_unit", observation(1, 1, 10));
  replicated("raw_data_file", {{"id", uuid(10)},
                               {"executed_obs_unit_id", obs},
                               {"raw_data_package_id", nullptr},
                               {"created_at", "2026-11-25 16:01:00+00"}});
  // Pending: the observation finished, a new file, a package holding both files.
  buffer_.update("executed_obs_unit", obs, {{"status", "completed"}});
  buffer("raw_data_file", {{"id", uuid(11)},
                           {"executed_obs_unit_id", obs},
                           {"raw_data_package_id", nullptr},
                           {"created_at", at_second(62)}});
  buffer("raw_data_package", {{"id", pkg}, {"executed_obs_unit_id", obs}, {"created_at", at_second(63)}});
  buffer_.update("raw_data_file", uuid(10), {{"raw_data_package_id", pkg}});
  buffer_.update("raw_data_file", uuid(11), {{"raw_data_package_id", pkg}});
  buffer("executed_obs_unit_status_change",
         {{"id", uuid(60)}, {"executed_obs_unit_id", obs}, {"changed_at", at_second(64)}});

  auto doc = get("observation", obs);
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->value);
  const auto& o = *doc->value;
  EXPECT_EQ(o["status"], "completed");
  EXPECT_EQ(ids_of(o["raw_data_files"]), (std::vector<std::string>{uuid(10), uuid(11)}));
  EXPECT_EQ(o["raw_data_files"][0]["raw_data_package_id"], pkg);
  EXPECT_EQ(o["raw_data_files"][0]["created_at"], "2026-11-25T16:01:00.000000Z");
  EXPECT_EQ(ids_of(o["raw_data_packages"]), (std::vector<std::string>{pkg}));
  EXPECT_EQ(ids_of(o["status_changes"]), (std::vector<std::string>{uuid(60)}));
  EXPECT_TRUE(o["instrument_module_configurations"].empty());

  auto package = get("package", pkg);
  ASSERT_TRUE(package.ok() && package->value);
  EXPECT_EQ(ids_of((*package->value)["raw_data_files"]),
            (std::vector<std::string>{uuid(10), uuid(11)}));
  auto file = get("file", uuid(10));
  ASSERT_TRUE(file.ok() && file->value);
  EXPECT_EQ((*file->value)["raw_data_package_id"], pkg);
  EXPECT_FALSE(get("file", uuid(12))->value);
}

TEST_F(SmartQueryTest, ReplicaDownBufferedRecordsAnswerListsFail) {
  const auto obs = uuid(1);
  buffer("executed_obs_unit", observation(1, 1, 10));
  buffer("raw_data_file", {{"id", uuid(11)}, {"executed_obs_unit_id", obs}, {"created_at", at_second(11)}});
  replicated("executed_obs_unit", observation(2, 1, 5));
  replica_.down = true;

  auto doc = get("observation", obs);
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->value);
  EXPECT_EQ(ids_of((*doc->value)["raw_data_files"]), (std::vector<std::string>{uuid(11)}));
  EXPECT_TRUE(get("file", uuid(11))->value);
  // Not in the buffer: only the replica could say.
  auto other = get("observation", uuid(2));
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(other.error().is(Fault::unavailable));

  std::optional<Result<Read<ObservationPage>>> page;
  query_.observations(parse_observation_filter({}), [&](auto r) { page = std::move(r); });
  ASSERT_TRUE(page && !page->ok());
  EXPECT_TRUE(page->error().is(Fault::unavailable));

  // A buffered package holding a file that is only on the replica cannot be answered whole.
  buffer("raw_data_package", {{"id", uuid(50)}, {"executed_obs_unit_id", obs}, {"created_at", at_second(12)}});
  buffer_.update("raw_data_file", uuid(11), {{"raw_data_package_id", uuid(50)}});
  EXPECT_TRUE(get("package", uuid(50)).ok());
  buffer_.update("raw_data_file", uuid(12), {{"raw_data_package_id", uuid(50)}});
  auto package = get("package", uuid(50));
  ASSERT_FALSE(package.ok());
  EXPECT_TRUE(package.error().is(Fault::unavailable));
}

TEST_F(SmartQueryTest, BufferDownAnswersFromTheReplicaMarked) {
  buffer("executed_obs_unit", observation(1, 1, 10));
  replicated("executed_obs_unit", observation(2, 1, 5));
  buffer_.down = true;
  auto page = list({});
  EXPECT_EQ(ids_of(page.value.items), (std::vector<std::string>{uuid(2)}));
  EXPECT_TRUE(page.buffer_unavailable);
  auto doc = get("observation", uuid(2));
  ASSERT_TRUE(doc.ok() && doc->value);
  EXPECT_TRUE(doc->buffer_unavailable);
  auto missing = get("observation", uuid(1));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->value);
  EXPECT_TRUE(missing->buffer_unavailable);
}

TEST_F(SmartQueryTest, WithoutABufferReadsAreTheDatabases) {
  SmartQuery main_site(replica_, nullptr);
  replicated("executed_obs_unit", observation(1, 1, 10));
  replicated("executed_obs_unit", observation(2, 1, 20));
  buffer("executed_obs_unit", observation(3, 1, 30));  // not consulted
  std::optional<Result<Read<ObservationPage>>> page;
  main_site.observations(parse_observation_filter({{"limit", "1"}}),
                         [&](auto r) { page = std::move(r); });
  ASSERT_TRUE(page && page->ok());
  EXPECT_EQ(ids_of((*page)->value.items), (std::vector<std::string>{uuid(2)}));
  EXPECT_TRUE((*page)->value.next_cursor);
  EXPECT_FALSE((*page)->buffer_unavailable);
}

}  // namespace
}  // namespace opsdb
