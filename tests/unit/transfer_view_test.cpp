// The transfer pipeline as the web UI reads it at a secondary site: packages and their totals
// merged from the replica and the buffer (support/merge_fakes.hpp), so a package registered
// during an outage is listed, paged and counted at once.
#include "opsdb/query/transfer_view.hpp"

#include <gtest/gtest.h>

#include <random>

#include "opsdb/core/error.hpp"

#include "support/merge_fakes.hpp"

namespace opsdb {
namespace {

using nlohmann::json;
using test::at_second;
using test::uuid;

std::string text_of(const json& row, const char* field) {
  auto it = row.find(field);
  return it != row.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// The catalogue over the fake replica's tables, as the SQL of the postgres adapter answers.
class FakeTransferCatalog final : public TransferCatalog {
 public:
  explicit FakeTransferCatalog(test::FakeReplica& replica) : replica_(replica) {}

  void packages(const PackageFilter& filter, Callback<std::vector<Record>> done) override {
    if (replica_.down) return done(test::down_error("replica"));
    std::vector<Record> rows;
    for (const auto& [id, row] : replica_.tables["raw_data_package"]) {
      if (package_matches(filter, row)) rows.push_back(with_files(row));
    }
    std::sort(rows.begin(), rows.end(), [&filter](const json& a, const json& b) {
      auto pa = std::pair(text_of(a, "created_at"), text_of(a, "id"));
      auto pb = std::pair(text_of(b, "created_at"), text_of(b, "id"));
      return filter.oldest_first ? pa < pb : pb < pa;
    });
    if (rows.size() > static_cast<std::size_t>(filter.limit) + 1) rows.resize(filter.limit + 1);
    done(std::move(rows));
  }
  void packages_among(const std::vector<std::string>& ids,
                      Callback<std::vector<Record>> done) override {
    if (replica_.down) return done(test::down_error("replica"));
    std::vector<Record> rows;
    for (const auto& id : ids) {
      auto& table = replica_.tables["raw_data_package"];
      if (table.count(id)) rows.push_back(with_files(table[id]));
    }
    done(std::move(rows));
  }
  void totals(Callback<Record> done) override {
    if (replica_.down) return done(test::down_error("replica"));
    std::map<std::pair<std::string, std::string>, std::pair<long long, long long>> groups;
    for (const auto& [id, row] : replica_.tables["raw_data_package"]) {
      auto& g = groups[{text_of(row, "state"), text_of(row, "status")}];
      g.first += 1;
      g.second += row.value("size_bytes", json(0)).is_number() ? row["size_bytes"].get<long long>() : 0;
    }
    json packages = json::array();
    for (const auto& [key, g] : groups) {
      packages.push_back(
          {{"state", key.first}, {"status", key.second}, {"count", g.first}, {"size_bytes", g.second}});
    }
    done(json{{"packages", packages},
              {"transfers_by_status", {{"failed", 1}}},
              {"active_transfers", json::array()}});
  }
  void reset_transfer(long long, const std::string&, Callback<Record> done) override {
    done(Error{Fault::not_found, "no transfers here", ""});
  }

 private:
  json with_files(json row) {
    long long count = 0, bytes = 0;
    for (const auto& [id, file] : replica_.tables["raw_data_file"]) {
      if (text_of(file, "raw_data_package_id") != text_of(row, "id")) continue;
      ++count;
      bytes += file.value("size_bytes", 0LL);
    }
    row["file_count"] = count;
    row["file_size_bytes"] = bytes;
    return row;
  }
  test::FakeReplica& replica_;
};

json package(int n, int second, const char* status = "building", const char* state = "waiting",
             json size = nullptr) {
  return {{"id", uuid(n)},
          {"name", "pkg-" + std::to_string(n)},
          {"executed_obs_unit_id", uuid(900)},
          {"instrument_module_id", 1},
          {"status", status},
          {"state", state},
          {"size_bytes", std::move(size)},
          {"created_at", at_second(second)}};
}

json file(int n, const json& package_id, long long size) {
  return {{"id", uuid(n)},
          {"executed_obs_unit_id", uuid(900)},
          {"raw_data_package_id", package_id},
          {"size_bytes", size},
          {"created_at", at_second(n % 3000)}};
}

class TransferViewTest : public ::testing::Test {
 protected:
  void buffer(const std::string& t, const json& row) { buffer_.insert(t, row); }
  void replicated(const std::string& t, const json& row) { replica_.tables[t][row["id"]] = row; }
  void move_to_replica(const std::string& t, const std::string& id) {
    json row = *buffer_.row(t, id);
    const json overlay = buffer_.overlay(t, id);  // items() of a temporary would dangle
    for (const auto& [k, v] : overlay.items()) row[k] = v;
    replica_.tables[t][id] = row;
    buffer_.forget(t, id);
  }

  Read<PackagePage> page(const std::map<std::string, std::string>& query) {
    std::optional<Result<Read<PackagePage>>> answer;
    view_.packages(parse_package_filter(query), [&](auto r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value());
    EXPECT_TRUE(answer->ok()) << answer->error().message;
    return std::move(answer->value());
  }
  std::vector<std::string> all_pages(std::map<std::string, std::string> query,
                                     const std::function<void()>& between = [] {}) {
    std::vector<std::string> ids;
    for (int pages = 0; pages < 1000; ++pages) {
      auto p = page(query).value;
      for (const auto& item : p.items) ids.push_back(item["id"]);
      if (!p.next_cursor) break;
      query["cursor"] = *p.next_cursor;
      between();
    }
    return ids;
  }
  Read<json> overview() {
    std::optional<Result<Read<json>>> answer;
    view_.overview([&](auto r) { answer = std::move(r); });
    EXPECT_TRUE(answer && answer->ok());
    return std::move(answer->value());
  }

  test::FakeBuffer buffer_;
  test::FakeReplica replica_;
  FakeTransferCatalog catalog_{replica_};
  TransferView view_{catalog_, replica_, &buffer_};
};

const json* find_item(const std::vector<json>& items, const std::string& id) {
  for (const auto& item : items) {
    if (item["id"] == id) return &item;
  }
  return nullptr;
}

TEST_F(TransferViewTest, EveryPackageIsListedOnceInEitherOrderWhileTheDrainMovesThem) {
  for (const bool oldest_first : {false, true}) {
    for (unsigned seed = 1; seed <= 20; ++seed) {
      buffer_ = test::FakeBuffer();
      replica_.tables.clear();
      std::mt19937 random(seed);
      std::vector<std::pair<std::string, std::string>> order;
      // Several packages per second, so equal creation times meet page boundaries.
      for (int i = 1; i <= 60; ++i) {
        auto p = package(i, i / 3);
        (random() % 3 == 0 ? replicated("raw_data_package", p) : buffer("raw_data_package", p));
        order.emplace_back(at_second(i / 3), uuid(i));
      }
      std::sort(order.begin(), order.end());
      if (!oldest_first) std::reverse(order.begin(), order.end());
      std::vector<std::string> expected;
      for (auto& [t, id] : order) expected.push_back(id);
      auto drain_some = [&] {
        for (int k = 0; k < 5; ++k) {
          auto id = uuid(1 + random() % 60);
          if (buffer_.row("raw_data_package", id)) move_to_replica("raw_data_package", id);
        }
      };
      const std::map<std::string, std::string> query{
          {"limit", std::to_string(1 + seed % 7)},
          {"sort", oldest_first ? "created_asc" : "created_desc"}};
      EXPECT_EQ(all_pages(query, drain_some), expected)
          << "seed " << seed << (oldest_first ? " oldest first" : " newest first");
    }
  }
}

TEST_F(TransferViewTest, FiltersApplyToBufferedAndReplicatedPackagesAlike) {
  replicated("raw_data_package", package(1, 10, "complete", "archived"));
  buffer("raw_data_package", package(2, 20, "building", "waiting"));
  auto other = package(3, 30, "building", "waiting");
  other["executed_obs_unit_id"] = uuid(901);
  other["name"] = "calibration-3";
  buffer("raw_data_package", other);
  replicated("raw_data_package", package(4, 40, "building", "waiting"));

  auto ids = [&](std::map<std::string, std::string> q) {
    std::vector<std::string> out;
    for (const auto& item : page(q).value.items) out.push_back(item["id"]);
    return out;
  };
  EXPECT_EQ(ids({{"state", "waiting"}}), (std::vector<std::string>{uuid(4), uuid(3), uuid(2)}));
  EXPECT_EQ(ids({{"executed_obs_unit_id", uuid(901)}}), (std::vector<std::string>{uuid(3)}));
  EXPECT_EQ(ids({{"name_prefix", "pkg-"}, {"sort", "created_asc"}}),
            (std::vector<std::string>{uuid(1), uuid(2), uuid(4)}));
  EXPECT_EQ(ids({{"since", at_second(20)}, {"until", at_second(40)}}),
            (std::vector<std::string>{uuid(3), uuid(2)}));
}

TEST_F(TransferViewTest, AStatusFilterSeesAPendingFinalizeOfAReplicatedPackage) {
  replicated("raw_data_package", package(1, 10, "building"));
  replicated("raw_data_package", package(2, 20, "building"));
  buffer_.update("raw_data_package", uuid(1), {{"status", "complete"}, {"size_bytes", 50}});
  auto complete = page({{"status", "complete"}}).value.items;
  ASSERT_EQ(complete.size(), 1u);
  EXPECT_EQ(complete[0]["id"], uuid(1));
  EXPECT_EQ(complete[0]["size_bytes"], 50);
  auto building = page({{"status", "building"}}).value.items;
  ASSERT_EQ(building.size(), 1u);
  EXPECT_EQ(building[0]["id"], uuid(2));
}

TEST_F(TransferViewTest, FileCountsAndSizesIncludeBufferedFilesOnce) {
  replicated("raw_data_package", package(1, 10));
  replicated("raw_data_file", file(101, uuid(1), 10));
  replicated("raw_data_file", file(102, uuid(1), 20));
  buffer("raw_data_file", file(103, uuid(1), 5));  // not replicated yet
  replicated("raw_data_file", file(104, uuid(1), 7));
  buffer("raw_data_file", file(104, uuid(1), 7));  // replicated, caches not yet dropped
  // A package registered during the outage, holding a new file and one that was on the
  // replica without a package.
  buffer("raw_data_package", package(2, 20));
  buffer("raw_data_file", file(105, uuid(2), 3));
  replicated("raw_data_file", file(106, nullptr, 4));
  buffer_.update("raw_data_file", uuid(106), {{"raw_data_package_id", uuid(2)}});

  auto items = page({}).value.items;
  ASSERT_EQ(items.size(), 2u);
  const auto* first = find_item(items, uuid(1));
  const auto* second = find_item(items, uuid(2));
  ASSERT_TRUE(first && second);
  EXPECT_EQ((*first)["file_count"], 4);
  EXPECT_EQ((*first)["file_size_bytes"], 42);
  EXPECT_EQ((*second)["file_count"], 2);
  EXPECT_EQ((*second)["file_size_bytes"], 7);
}

TEST_F(TransferViewTest, OverviewCountsBufferedPackagesAndPendingChanges) {
  replicated("raw_data_package", package(1, 10, "building", "waiting", 100));
  replicated("raw_data_package", package(2, 20, "building", "waiting"));
  replicated("raw_data_package", package(3, 30, "complete", "archived", 1000));
  buffer("raw_data_package", package(4, 40, "building", "waiting"));  // during the outage
  buffer_.update("raw_data_package", uuid(2), {{"status", "complete"}, {"size_bytes", 50}});

  auto answer = overview();
  EXPECT_FALSE(answer.buffer_unavailable);
  const auto& packages = answer.value["packages"];
  EXPECT_EQ(packages["total"], 4);
  EXPECT_EQ(packages["by_state"], (json{{"waiting", 3}, {"archived", 1}}));
  EXPECT_EQ(packages["by_status"], (json{{"building", 2}, {"complete", 2}}));
  EXPECT_EQ(packages["size_bytes_by_state"], (json{{"waiting", 150}, {"archived", 1000}}));
  EXPECT_EQ(answer.value["transfers_by_status"], (json{{"failed", 1}}));

  // Once replicated and dropped from the buffer, each is counted once still.
  move_to_replica("raw_data_package", uuid(4));
  EXPECT_EQ(overview().value["packages"]["total"], 4);
  buffer_.down = true;
  auto without = overview();
  EXPECT_TRUE(without.buffer_unavailable);
  EXPECT_EQ(without.value["packages"]["by_status"], (json{{"building", 3}, {"complete", 1}}));
}

TEST_F(TransferViewTest, WithoutABufferTheCatalogueAnswersAlone) {
  TransferView main_site(catalog_, replica_, nullptr);
  replicated("raw_data_package", package(1, 10));
  buffer("raw_data_package", package(2, 20));  // not consulted
  std::optional<Result<Read<PackagePage>>> answer;
  main_site.packages(parse_package_filter({}), [&](auto r) { answer = std::move(r); });
  ASSERT_TRUE(answer && answer->ok());
  ASSERT_EQ((*answer)->value.items.size(), 1u);
  EXPECT_EQ((*answer)->value.items[0]["file_count"], 0);
}

TEST(PackageFilterTest, RefusesWhatItCannotUse) {
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"state", "lost"},
                                                        {"status", "done"},
                                                        {"executed_obs_unit_id", "7"},
                                                        {"instrument_module_id", "-1"},
                                                        {"since", "yesterday"},
                                                        {"name_prefix", ""},
                                                        {"sort", "name"},
                                                        {"limit", "0"},
                                                        {"cursor", "2026-11-25T16:00:00Z"},
                                                        {"colour", "red"}}) {
    EXPECT_THROW(parse_package_filter({{key, value}}), ApiError) << key << "=" << value;
  }
  auto f = parse_package_filter({{"sort", "created_asc"}, {"limit", "5"}});
  EXPECT_TRUE(f.oldest_first);
  EXPECT_EQ(f.limit, 5);
}

}  // namespace
}  // namespace opsdb
