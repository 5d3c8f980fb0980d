// The transfer pipeline endpoints of the web UI against the real stack: packages written at a
// secondary site are listed, paged and counted while the main database is down and the same
// once they have replicated; a failed transfer is reset once (then 409), and the reset, a
// change of the main database only, answers 503 while it is out of reach.
#include <gtest/gtest.h>

#include <set>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class TransferRoutesTest : public SecondarySiteFixture {
 protected:
  json write(const std::string& method, const std::string& target, const json& body) {
    auto r = http_json(port(), method, target, body);
    EXPECT_TRUE(r.status == 201 || r.status == 200) << method << " " << target << ": " << r.body;
    auto doc = r.json();
    txs_.push_back(doc.value("transaction_id", ""));
    return doc;
  }

  json get(const std::string& target) {
    auto r = http_get(port(), target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    EXPECT_EQ(r.headers.count("x-opsdb-buffer"), 0u) << target;
    return r.status == 200 ? r.json() : json();
  }

  // An observation with `files` files of 1000 + i bytes, all in one package. Returns the
  // observation's and the package's ids.
  std::pair<std::string, std::string> observe_package(int files) {
    const std::string observation =
        write("POST", "/executed_obs_units/start", {{"obs_unit_id", 1}})["id"];
    json ids = json::array();
    for (int i = 1; i <= files; ++i) {
      ids.push_back(write("POST", "/raw_data_files/",
                          {{"name", "t" + std::to_string(i) + ".fits"},
                           {"relative_path", "transfer/" + site_ + "/" + std::to_string(i)},
                           {"executed_obs_unit_id", observation},
                           {"instrument_module_id", 1},
                           {"size_bytes", 1000 + i},
                           {"checksum", "sha256:" + std::to_string(i)}})["id"]);
    }
    const std::string package = write("POST", "/raw_data_package/",
                                      {{"name", "transfer-" + site_},
                                       {"executed_obs_unit_id", observation},
                                       {"instrument_module_id", 1},
                                       {"raw_data_file_ids", ids}})["id"];
    return {observation, package};
  }

  void wait_all_replicated() {
    for (const auto& tx : txs_) wait_replicated(tx);
  }

  static long long count_in(const json& overview, const char* group, const char* key) {
    return overview["packages"][group].value(key, 0LL);
  }

  std::vector<std::string> txs_;
};

TEST_F(TransferRoutesTest, PagesListEveryPackageOnceInEitherOrder) {
  start_server();
  const std::string observation =
      write("POST", "/executed_obs_units/start", {{"obs_unit_id", 1}})["id"];
  std::vector<std::string> written;
  for (int i = 0; i < 7; ++i) {
    written.push_back(write("POST", "/raw_data_package/",
                            {{"name", "page-" + std::to_string(i)},
                             {"executed_obs_unit_id", observation},
                             {"instrument_module_id", 1}})["id"]);
  }
  for (const char* sort : {"created_desc", "created_asc"}) {
    std::vector<std::string> listed;
    std::string target = "/api/transfer/raw-packages?limit=2&sort=" + std::string(sort) +
                         "&executed_obs_unit_id=" + observation;
    for (int pages = 0; pages < 10; ++pages) {
      auto page = get(target);
      for (const auto& item : page["items"]) listed.push_back(item["id"]);
      if (page["next_cursor"].is_null()) break;
      target = "/api/transfer/raw-packages?limit=2&sort=" + std::string(sort) +
               "&executed_obs_unit_id=" + observation +
               "&cursor=" + page["next_cursor"].get<std::string>();
    }
    std::vector<std::string> expected = written;  // written one after another
    if (std::string(sort) == "created_desc") std::reverse(expected.begin(), expected.end());
    EXPECT_EQ(listed, expected) << sort;
  }
  EXPECT_EQ(http_get(port(), "/api/transfer/raw-packages?state=lost").status, 400);
  EXPECT_EQ(http_get(port(), "/api/transfer/raw-packages?cursor=nonsense").status, 400);
}

class TransferRoutesFaultTest : public TransferRoutesTest {};

TEST_F(TransferRoutesFaultTest, APackageWrittenDuringAnOutageIsListedAndCountedThenOnceAfter) {
  start_server();
  const auto before = get("/api/transfer/overview");
  ASSERT_EQ(stop_main(), 0);
  const auto [observation, package] = observe_package(3);

  auto listed = get("/api/transfer/raw-packages?executed_obs_unit_id=" + observation);
  ASSERT_EQ(listed["items"].size(), 1u) << listed.dump();
  const auto item = listed["items"][0];
  EXPECT_EQ(item["id"], package);
  EXPECT_EQ(item["status"], "building");
  EXPECT_EQ(item["state"], "waiting");
  EXPECT_EQ(item["file_count"], 3);
  EXPECT_EQ(item["file_size_bytes"], 1001 + 1002 + 1003);

  auto during = get("/api/transfer/overview");
  EXPECT_EQ(count_in(during, "by_status", "building"), count_in(before, "by_status", "building") + 1)
      << during.dump();
  EXPECT_EQ(count_in(during, "by_state", "waiting"), count_in(before, "by_state", "waiting") + 1);
  EXPECT_EQ(during["packages"]["total"].get<long long>(),
            before["packages"]["total"].get<long long>() + 1);
  EXPECT_GE(during["buffer"]["pending"].get<long long>(), 1);
  EXPECT_TRUE(during["computed_at"].is_string());

  ASSERT_EQ(start_main(), 0);
  wait_all_replicated();
  auto after = get("/api/transfer/overview");
  EXPECT_EQ(after["packages"], during["packages"]) << "counted twice or lost once replicated";
  EXPECT_EQ(after["buffer"]["pending"], 0);
  auto relisted = get("/api/transfer/raw-packages?executed_obs_unit_id=" + observation);
  ASSERT_EQ(relisted["items"].size(), 1u);
  EXPECT_EQ(relisted["items"][0]["file_count"], 3);
  EXPECT_EQ(relisted["items"][0]["file_size_bytes"], item["file_size_bytes"]);
}

std::string first_text(PgProbe& probe, const std::string& sql,
                       const std::vector<std::string>& params) {
  auto rows = probe.column(sql, params);
  return rows.empty() ? std::string() : rows.front();
}

// A failed transfer of a package to the archive, written straight to the main database. Each
// step opens a connection of its own: a fault test restarts the main database in between.
class FailedTransfer {
 public:
  FailedTransfer() {
    PgProbe probe_(stack_config().main_db);
    tag_ = "reset-" + random_hex(8);
    site_ = probe_.scalar(
        "INSERT INTO site (name, short_name, site_type) VALUES ($1, $1, 'secondary') RETURNING id",
        {tag_});
    auto location = [&](const char* role, const char* type) {
      return probe_.scalar(
          "INSERT INTO data_location (site_id, name, location_type, path) "
          "VALUES ($1::integer, $2, $3, '/data') RETURNING id",
          {std::to_string(site_), tag_ + "-" + role, type});
    };
    origin_ = location("origin", "buffer");
    const auto destination = location("archive", "long_term_archive");
    observation_ = first_text(probe_, 
        "INSERT INTO executed_obs_unit (id, obs_unit_id, status, start_time) "
        "VALUES (gen_random_uuid(), 1, 'completed', now()) RETURNING id::text",
        {});
    package_ = first_text(probe_, 
        "INSERT INTO raw_data_package (id, name, executed_obs_unit_id, instrument_module_id) "
        "VALUES (gen_random_uuid(), $1, $2::uuid, 1) RETURNING id::text",
        {tag_, observation_});
    const auto transfer_package = probe_.scalar(
        "INSERT INTO data_transfer_package (raw_data_package_id, origin_location_id, "
        "destination_location_id) VALUES ($1::uuid, $2::integer, $3::integer) RETURNING id",
        {package_, std::to_string(origin_), std::to_string(destination)});
    id_ = probe_.scalar(
        "INSERT INTO data_transfer (data_transfer_package_id, origin_location_id, "
        "destination_location_id, status, error_message) "
        "VALUES ($1::integer, $2::integer, $3::integer, 'failed', 'checksum mismatch') "
        "RETURNING id",
        {std::to_string(transfer_package), std::to_string(origin_), std::to_string(destination)});
  }
  ~FailedTransfer() {
    PgProbe probe_(stack_config().main_db);
    probe_.exec(
        "DELETE FROM data_transfer_history h USING data_transfer t "
        "WHERE h.data_transfer_id = t.id AND t.origin_location_id = $1::integer",
        {std::to_string(origin_)});
    probe_.exec("DELETE FROM data_transfer WHERE origin_location_id = $1::integer",
                {std::to_string(origin_)});
    probe_.exec("DELETE FROM data_transfer_package WHERE origin_location_id = $1::integer",
                {std::to_string(origin_)});
    probe_.exec("DELETE FROM raw_data_package WHERE id = $1::uuid", {package_});
    probe_.exec("DELETE FROM executed_obs_unit WHERE id = $1::uuid", {observation_});
    probe_.exec("DELETE FROM data_location WHERE site_id = $1::integer", {std::to_string(site_)});
    probe_.exec("DELETE FROM site WHERE id = $1::integer", {std::to_string(site_)});
  }
  std::string reset_target() const {
    return "/api/transfer/data-transfer/" + std::to_string(id_) + "/reset";
  }
  std::vector<std::string> status() const {
    return PgProbe(stack_config().main_db)
        .column("SELECT status FROM data_transfer WHERE id = $1::integer", {std::to_string(id_)});
  }

 private:
  std::string tag_, observation_, package_;
  long long site_ = 0, origin_ = 0, id_ = 0;
};

TEST_F(TransferRoutesTest, AFailedTransferIsResetOnceWithItsErrorKept) {
  start_server();
  FailedTransfer transfer;
  auto reset = http_request(port(), "POST", transfer.reset_target(), "", {});
  ASSERT_EQ(reset.status, 200) << reset.body;
  const auto doc = reset.json();
  EXPECT_EQ(doc["status"], "pending");
  EXPECT_TRUE(doc["error_message"].is_null());
  ASSERT_EQ(doc["history"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["history"][0]["from_status"], "failed");
  EXPECT_EQ(doc["history"][0]["error_message"], "checksum mismatch");
  EXPECT_EQ(transfer.status(), std::vector<std::string>{"pending"});

  auto again = http_request(port(), "POST", transfer.reset_target(), "", {});
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("pending"), std::string::npos) << again.body;
  EXPECT_EQ(http_request(port(), "POST", "/api/transfer/data-transfer/2147483000/reset", "", {})
                .status,
            404);
  EXPECT_EQ(http_request(port(), "POST", "/api/transfer/data-transfer/x/reset", "", {}).status, 400);
}

TEST_F(TransferRoutesFaultTest, ResetAnswers503WhileTheMainDatabaseIsDown) {
  start_server();
  FailedTransfer transfer;
  ASSERT_EQ(stop_main(), 0);
  auto refused = http_request(port(), "POST", transfer.reset_target(), "", {});
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("main database"), std::string::npos) << refused.body;
  ASSERT_EQ(start_main(), 0);
  EXPECT_TRUE(wait_until(
      [&] { return http_request(port(), "POST", transfer.reset_target(), "", {}).status == 200; },
      30s, 500ms));
}

}  // namespace
}  // namespace opsdb::test
