// The transfer catalogue against the real main database: the package list in pages and through
// each filter, the files counted into each package, the overview's totals, and resetting a
// failed transfer.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/postgres/pg_database.hpp"
#include "opsdb/postgres/pg_transfer_catalog.hpp"
#include "support/fault.hpp"
#include "support/pg_probe.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// What a test put into the database, to compare the catalogue's answers with.
struct SeededPackage {
  std::string id;
  std::string name;
  std::string executed_obs_unit_id;
  int instrument_module_id = 0;
  std::string state;
  std::string status;
  std::string created_at;  // canonical
  int file_count = 0;
  long long file_size_bytes = 0;
};

// Waits for an asynchronous call's one answer; a call that never answers fails the test
// instead of hanging it.
template <typename T>
Result<T> call(const std::function<void(Callback<T>)>& start) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto answer = promise->get_future();
  start([promise](Result<T> r) { promise->set_value(std::move(r)); });
  if (answer.wait_for(30s) != std::future_status::ready) {
    return Error{Fault::internal, "the catalogue did not answer within 30 s", ""};
  }
  return answer.get();
}

std::string uuid_list(const std::vector<std::string>& ids) {
  std::string text = "{";
  for (const auto& id : ids) text += (text.size() > 1 ? "," : "") + id;
  return text + "}";
}

class TransferCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prepare_database();
    tag_ = "tcat-" + random_hex(10);
    main_ = std::make_unique<PgDatabase>("main", stack_config().main_db, 2);
    catalog_ = std::make_unique<PgTransferCatalog>(*main_, *main_);
    probe_ = std::make_unique<PgProbe>(stack_config().main_db);

    const auto site = probe_->scalar(
        "INSERT INTO site (name, short_name, site_type) VALUES ($1, $1, 'secondary') "
        "RETURNING id",
        {tag_});
    site_id_ = std::to_string(site);
    origin_ = location("origin", "buffer");
    destination_ = location("archive", "long_term_archive");
    for (int i = 0; i < 2; ++i) {
      executed_obs_units_.push_back(new_uuid());
      probe_->exec(
          "INSERT INTO executed_obs_unit (id, obs_unit_id, status, start_time) "
          "VALUES ($1, 1, 'completed', '2001-03-04T00:00:00Z')",
          {executed_obs_units_.back()});
    }
    seed_packages();
  }

  void TearDown() override {
    if (main_) main_->stop();
    if (!probe_ || origin_.empty()) return;
    const auto eous = uuid_list(executed_obs_units_);
    probe_->exec(
        "DELETE FROM data_transfer_history h USING data_transfer t "
        "WHERE h.data_transfer_id = t.id AND t.origin_location_id = $1::integer",
        {origin_});
    probe_->exec("DELETE FROM data_transfer WHERE origin_location_id = $1::integer", {origin_});
    probe_->exec("DELETE FROM data_transfer_package WHERE origin_location_id = $1::integer",
                 {origin_});
    probe_->exec("DELETE FROM raw_data_file WHERE executed_obs_unit_id = ANY($1::uuid[])", {eous});
    probe_->exec("DELETE FROM raw_data_package WHERE executed_obs_unit_id = ANY($1::uuid[])",
                 {eous});
    probe_->exec("DELETE FROM executed_obs_unit WHERE id = ANY($1::uuid[])", {eous});
    probe_->exec("DELETE FROM data_location WHERE site_id = $1::integer", {site_id_});
    probe_->exec("DELETE FROM site WHERE id = $1::integer", {site_id_});
  }

  std::string location(const std::string& role, const std::string& type) {
    return std::to_string(
        probe_->scalar("INSERT INTO data_location (site_id, name, location_type, path) "
                       "VALUES ($1::integer, $2, $3, '/data') RETURNING id",
                       {site_id_, tag_ + "-" + role, type}));
  }

  // Twelve packages, three to a creation time so that the list has ties to break by id;
  // states, statuses, observations and modules varied; i % 4 files of (i + 1) * 10 bytes each,
  // and one file in no package.
  void seed_packages() {
    static const char* kStates[] = {"waiting", "transferring", "archived", "failed"};
    for (int i = 0; i < 12; ++i) {
      SeededPackage p;
      p.id = new_uuid();
      p.name = tag_ + "-pkg-" + (i < 10 ? "0" : "") + std::to_string(i);
      p.executed_obs_unit_id = executed_obs_units_[i % 2];
      p.instrument_module_id = 1 + (i / 2) % 2;
      p.state = kStates[i % 4];
      p.status = i % 3 == 0 ? "building" : "complete";
      p.created_at =
          *canonical_timestamp("2001-03-04T05:06:0" + std::to_string(i / 3) + ".123456Z");
      p.file_count = i % 4;
      p.file_size_bytes = static_cast<long long>(p.file_count) * (i + 1) * 10;
      add_package(p, std::to_string(1000 * (i + 1)));
      for (int f = 0; f < p.file_count; ++f) add_file(p.executed_obs_unit_id, p.id, (i + 1) * 10);
    }
    add_file(executed_obs_units_[0], "", 999);
  }

  void add_package(const SeededPackage& p, const std::string& size_bytes) {
    probe_->exec(
        "INSERT INTO raw_data_package (id, name, executed_obs_unit_id, instrument_module_id, "
        "state, status, size_bytes, created_at) VALUES ($1, $2, $3, $4::integer, $5, $6, "
        "nullif($7, '')::bigint, $8)",
        {p.id, p.name, p.executed_obs_unit_id, std::to_string(p.instrument_module_id), p.state,
         p.status, size_bytes, p.created_at});
    packages_.push_back(p);
  }

  void add_file(const std::string& eou, const std::string& package, long long size) {
    const auto id = new_uuid();
    probe_->exec(
        "INSERT INTO raw_data_file (id, name, relative_path, executed_obs_unit_id, "
        "instrument_module_id, raw_data_package_id, size_bytes, checksum) "
        "VALUES ($1, $2, $3, $4, 1, nullif($5, '')::uuid, $6::bigint, 'sum')",
        {id, "file-" + id, tag_ + "/" + id, eou, package, std::to_string(size)});
  }

  // A transfer of `package` from the test's origin to its archive; returns its id.
  long long add_transfer(const std::string& package, const std::string& status,
                         const std::string& started_at = "", const std::string& error = "",
                         long long package_size = 5000) {
    const auto transfer_package = probe_->scalar(
        "INSERT INTO data_transfer_package (raw_data_package_id, origin_location_id, "
        "destination_location_id, size_bytes) VALUES ($1, $2::integer, $3::integer, $4::bigint) "
        "RETURNING id",
        {package, origin_, destination_, std::to_string(package_size)});
    return probe_->scalar(
        "INSERT INTO data_transfer (data_transfer_package_id, origin_location_id, "
        "destination_location_id, status, started_at, finished_at, bytes_transferred, "
        "error_message) VALUES ($1::integer, $2::integer, $3::integer, $4, "
        "nullif($5, '')::timestamptz, CASE WHEN $4 IN ('completed', 'failed') "
        "THEN nullif($5, '')::timestamptz + interval '1 minute' END, 1234, nullif($6, '')) "
        "RETURNING id",
        {std::to_string(transfer_package), origin_, destination_, status, started_at, error});
  }

  Result<std::vector<json>> packages(const PackageFilter& filter) {
    return call<std::vector<json>>(
        [&](Callback<std::vector<json>> done) { catalog_->packages(filter, std::move(done)); });
  }

  Result<json> totals() {
    return call<json>([&](Callback<json> done) { catalog_->totals(std::move(done)); });
  }

  Result<json> reset(long long id) {
    return call<json>([&](Callback<json> done) {
      catalog_->reset_transfer(id, "operator-" + tag_, std::move(done));
    });
  }

  // Every page of `filter`, `page_size` at a time, each continuing after the last one's end.
  std::vector<json> all_pages(PackageFilter filter, int page_size) {
    filter.limit = page_size;
    std::vector<json> items;
    for (int page = 0; page < 100; ++page) {
      auto rows = packages(filter);
      EXPECT_TRUE(rows.ok()) << rows.error().message;
      if (!rows.ok()) break;
      EXPECT_LE(rows->size(), static_cast<std::size_t>(page_size + 1));
      const bool more = rows->size() > static_cast<std::size_t>(page_size);
      if (more) rows->resize(page_size);
      for (const auto& row : *rows) items.push_back(row);
      if (!more) break;
      const auto& last = rows->back();
      filter.after = ListPosition{*canonical_timestamp(last["created_at"].get<std::string>()),
                                  last["id"].get<std::string>()};
    }
    return items;
  }

  std::vector<std::string> names_of(const std::vector<json>& rows) {
    std::vector<std::string> names;
    for (const auto& row : rows) names.push_back(row["name"].get<std::string>());
    return names;
  }

  // Names of the seeded packages that satisfy `keep`, oldest first, ties by id.
  std::vector<std::string> expected(const std::function<bool(const SeededPackage&)>& keep) {
    auto kept = packages_;
    std::erase_if(kept, [&](const SeededPackage& p) { return !keep(p); });
    std::sort(kept.begin(), kept.end(), [](const SeededPackage& a, const SeededPackage& b) {
      return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    std::vector<std::string> names;
    for (const auto& p : kept) names.push_back(p.name);
    return names;
  }

  std::string tag_;
  std::string site_id_, origin_, destination_;
  std::vector<std::string> executed_obs_units_;
  std::vector<SeededPackage> packages_;
  std::unique_ptr<PgDatabase> main_;
  std::unique_ptr<PgTransferCatalog> catalog_;
  std::unique_ptr<PgProbe> probe_;
};

TEST_F(TransferCatalogTest, PagesListEveryPackageOnceInEitherOrderWithTiesBrokenById) {
  auto oldest_first = expected([](const SeededPackage&) { return true; });
  auto newest_first = std::vector<std::string>(oldest_first.rbegin(), oldest_first.rend());
  for (int page_size : {1, 2, 5, 12, 50}) {
    PackageFilter filter;
    filter.name_prefix = tag_;
    EXPECT_EQ(names_of(all_pages(filter, page_size)), newest_first) << "page size " << page_size;
    filter.oldest_first = true;
    EXPECT_EQ(names_of(all_pages(filter, page_size)), oldest_first) << "page size " << page_size;
  }
}

TEST_F(TransferCatalogTest, EachFilterKeepsExactlyTheMatchingPackages) {
  const auto check = [&](PackageFilter filter,
                         const std::function<bool(const SeededPackage&)>& keep,
                         const std::string& what) {
    filter.oldest_first = true;
    const auto want = expected(keep);
    EXPECT_FALSE(want.empty()) << what << ": the seed must hold some matches";
    EXPECT_EQ(names_of(all_pages(filter, 4)), want) << what;
  };
  PackageFilter mine;
  mine.name_prefix = tag_;

  auto f = mine;
  f.state = "failed";
  check(
      f, [](const SeededPackage& p) { return p.state == "failed"; }, "state");
  f = mine;
  f.status = "building";
  check(
      f, [](const SeededPackage& p) { return p.status == "building"; }, "status");
  f = mine;
  f.instrument_module_id = 2;
  check(
      f, [](const SeededPackage& p) { return p.instrument_module_id == 2; }, "module");
  f = PackageFilter{};
  f.executed_obs_unit_id = executed_obs_units_[1];
  check(
      f, [&](const SeededPackage& p) { return p.executed_obs_unit_id == executed_obs_units_[1]; },
      "observation");
  f = mine;
  f.since = packages_[3].created_at;  // inclusive
  f.until = packages_[9].created_at;  // exclusive
  check(
      f,
      [&](const SeededPackage& p) {
        return p.created_at >= packages_[3].created_at && p.created_at < packages_[9].created_at;
      },
      "since and until");
  f = mine;
  f.name_prefix = tag_ + "-pkg-1";
  check(
      f, [&](const SeededPackage& p) { return p.name.starts_with(tag_ + "-pkg-1"); },
      "name prefix");
  f = mine;
  f.status = "building";
  f.instrument_module_id = 2;
  check(
      f,
      [](const SeededPackage& p) { return p.status == "building" && p.instrument_module_id == 2; },
      "two filters at once");

  // The prefix is text, not a pattern, and it is case-sensitive.
  for (const auto& literal : {tag_ + "-pkg-%", tag_ + "-pkg-_1", tag_ + "-PKG-"}) {
    f = mine;
    f.name_prefix = literal;
    auto rows = packages(f);
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    EXPECT_TRUE(rows->empty()) << literal;
  }
}

TEST_F(TransferCatalogTest, PackagesCountTheFilesTheyHold) {
  std::vector<std::string> ids;
  for (const auto& p : packages_) ids.push_back(p.id);
  ids.push_back(new_uuid());  // unknown: simply absent
  auto among = call<std::vector<json>>(
      [&](Callback<std::vector<json>> done) { catalog_->packages_among(ids, std::move(done)); });
  ASSERT_TRUE(among.ok()) << among.error().message;
  EXPECT_EQ(among->size(), packages_.size());

  PackageFilter filter;
  filter.name_prefix = tag_;
  auto listed = all_pages(filter, 5);
  ASSERT_EQ(listed.size(), packages_.size());

  for (const auto* rows : {&*among, &listed}) {
    std::map<std::string, json> by_id;
    for (const auto& row : *rows) by_id[row["id"].get<std::string>()] = row;
    for (const auto& p : packages_) {
      ASSERT_TRUE(by_id.contains(p.id)) << p.name;
      const auto& row = by_id[p.id];
      EXPECT_EQ(row["file_count"], p.file_count) << p.name;
      EXPECT_EQ(row["file_size_bytes"], p.file_size_bytes) << p.name;
      EXPECT_EQ(row["name"], p.name);
      EXPECT_EQ(row["state"], p.state);
      EXPECT_EQ(row["status"], p.status);
      EXPECT_EQ(*canonical_timestamp(row["created_at"].get<std::string>()), p.created_at);
    }
  }

  auto none = call<std::vector<json>>(
      [&](Callback<std::vector<json>> done) { catalog_->packages_among({}, std::move(done)); });
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(TransferCatalogTest, TotalsCountPackagesAndTransfersAndListTheActiveOnes) {
  auto before = totals();
  ASSERT_TRUE(before.ok()) << before.error().message;

  // Two more packages in a pair of (state, status) with sizes, one of them without a size.
  SeededPackage sized{new_uuid(), tag_ + "-tot-a", executed_obs_units_[0],       1,
                      "archived", "complete",      "2001-03-04T06:00:00.000000Z"};
  SeededPackage unsized{new_uuid(), tag_ + "-tot-b", executed_obs_units_[0],       1,
                        "archived", "complete",      "2001-03-04T06:00:01.000000Z"};
  add_package(sized, "700000");
  add_package(unsized, "");
  // Started long ago, so they lead the list of active transfers.
  const auto second =
      add_transfer(packages_[1].id, "transferring", "2001-03-04T08:00:00Z", "", 4242);
  const auto first = add_transfer(packages_[2].id, "transferring", "2001-03-04T07:00:00Z");
  add_transfer(packages_[3].id, "failed", "2001-03-04T07:30:00Z", "disk full");
  add_transfer(packages_[4].id, "pending");

  auto after = totals();
  ASSERT_TRUE(after.ok()) << after.error().message;

  const auto package_totals = [](const json& doc) {
    std::map<std::pair<std::string, std::string>, std::pair<long long, long long>> out;
    for (const auto& g : doc["packages"]) {
      out[{g["state"].get<std::string>(), g["status"].get<std::string>()}] = {
          g["count"].get<long long>(), g["size_bytes"].get<long long>()};
    }
    return out;
  };
  auto was = package_totals(*before), is = package_totals(*after);
  const std::pair<std::string, std::string> archived{"archived", "complete"};
  EXPECT_EQ(is[archived].first - was[archived].first, 2);
  EXPECT_EQ(is[archived].second - was[archived].second, 700000) << "a missing size counts as 0";
  for (const auto& [group, now] : is) {
    if (group == archived) continue;
    EXPECT_EQ(now, was[group]) << group.first << "/" << group.second;
    EXPECT_GT(now.first, 0) << "only groups that are present are listed";
  }

  const auto transfers = [](const json& doc, const std::string& status) {
    return doc["transfers_by_status"].value(status, 0LL);
  };
  EXPECT_EQ(transfers(*after, "transferring") - transfers(*before, "transferring"), 2);
  EXPECT_EQ(transfers(*after, "failed") - transfers(*before, "failed"), 1);
  EXPECT_EQ(transfers(*after, "pending") - transfers(*before, "pending"), 1);
  EXPECT_EQ(transfers(*after, "completed"), transfers(*before, "completed"));

  const auto& active = (*after)["active_transfers"];
  ASSERT_TRUE(active.is_array());
  EXPECT_LE(active.size(), 100u);
  ASSERT_GE(active.size(), 2u);
  EXPECT_EQ(active[0]["id"], first) << active.dump();
  EXPECT_EQ(active[1]["id"], second) << active.dump();
  for (const auto& t : active) EXPECT_EQ(t["status"], "transferring");
  const auto& row = active[1];
  EXPECT_EQ(row["package_name"], packages_[1].name);
  EXPECT_EQ(row["raw_data_package_id"], packages_[1].id);
  EXPECT_EQ(row["package_size_bytes"], 4242);
  EXPECT_EQ(row["bytes_transferred"], 1234);
  EXPECT_EQ(row["origin_location"], tag_ + "-origin");
  EXPECT_EQ(row["destination_location"], tag_ + "-archive");
  EXPECT_EQ(*canonical_timestamp(row["started_at"].get<std::string>()),
            "2001-03-04T08:00:00.000000Z");
}

TEST_F(TransferCatalogTest, ResettingAFailedTransferMakesItPendingAndKeepsItsErrorInHistory) {
  const auto id = add_transfer(packages_[0].id, "failed", "2001-03-04T07:00:00Z",
                               "checksum mismatch at byte 42");
  auto reset_once = reset(id);
  ASSERT_TRUE(reset_once.ok()) << reset_once.error().message;
  const auto& t = *reset_once;
  EXPECT_EQ(t["id"], id);
  EXPECT_EQ(t["status"], "pending");
  EXPECT_TRUE(t["error_message"].is_null());
  EXPECT_TRUE(t["started_at"].is_null());
  EXPECT_TRUE(t["finished_at"].is_null());
  EXPECT_EQ(t["bytes_transferred"], 0);
  ASSERT_EQ(t["history"].size(), 1u) << t.dump();
  EXPECT_EQ(t["history"][0]["from_status"], "failed");
  EXPECT_EQ(t["history"][0]["to_status"], "pending");
  EXPECT_EQ(t["history"][0]["error_message"], "checksum mismatch at byte 42");
  EXPECT_EQ(t["history"][0]["changed_by"], "operator-" + tag_);

  const auto sid = std::to_string(id);
  EXPECT_EQ(probe_->scalar("SELECT count(*) FROM data_transfer WHERE id = $1::integer AND "
                           "status = 'pending' AND error_message IS NULL",
                           {sid}),
            1);
  EXPECT_EQ(probe_->scalar("SELECT count(*) FROM data_transfer_history WHERE "
                           "data_transfer_id = $1::integer AND error_message = $2",
                           {sid, "checksum mismatch at byte 42"}),
            1);

  auto again = reset(id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().fault, Fault::conflict);
  EXPECT_EQ(again.error().message, "data transfer " + sid +
                                       " is pending, not failed: only a failed transfer can be "
                                       "reset");
  EXPECT_EQ(probe_->scalar("SELECT count(*) FROM data_transfer_history WHERE "
                           "data_transfer_id = $1::integer",
                           {sid}),
            1)
      << "a refused reset leaves no history";

  // It fails once more: the second reset keeps the new error, and the history lists newest first.
  probe_->exec(
      "UPDATE data_transfer SET status = 'failed', error_message = 'timeout' WHERE id = "
      "$1::integer",
      {sid});
  auto second = reset(id);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ((*second)["history"].size(), 2u);
  EXPECT_EQ((*second)["history"][0]["error_message"], "timeout");
  EXPECT_EQ((*second)["history"][1]["error_message"], "checksum mismatch at byte 42");

  const auto completed = add_transfer(packages_[1].id, "completed", "2001-03-04T07:00:00Z");
  auto finished = reset(completed);
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.error().fault, Fault::conflict);
  EXPECT_NE(finished.error().message.find("is completed"), std::string::npos)
      << finished.error().message;

  for (long long unknown :
       {probe_->scalar("SELECT coalesce(max(id), 0) + 1000000 FROM data_transfer"),
        9'000'000'000'000LL, -1LL}) {
    auto missing = reset(unknown);
    ASSERT_FALSE(missing.ok()) << unknown;
    EXPECT_EQ(missing.error().fault, Fault::not_found) << missing.error().message;
    EXPECT_EQ(missing.error().message,
              "data transfer " + std::to_string(unknown) + " does not exist");
  }
}

}  // namespace
}  // namespace opsdb::test
