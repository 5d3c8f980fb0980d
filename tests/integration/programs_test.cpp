// Observing programs as the web UI manages them at a secondary site: read from the replica,
// changed on the main database (never buffered), and refused with a clear 503 while Cologne is
// unreachable.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "support/fault.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/stack.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ProgramsTest : public SecondarySiteFixture {
 protected:
  void SetUp() override {
    SecondarySiteFixture::SetUp();
    ASSERT_NO_FATAL_FAILURE(start_server());
    name_ = "program-" + random_hex(8);
  }
  void TearDown() override {
    PgProbe main(stack_config().main_db);
    main.exec("DELETE FROM observing_program WHERE name LIKE $1 || '%'", {name_});
    SecondarySiteFixture::TearDown();
  }
  std::string name_;
};

TEST_F(ProgramsTest, ListPagesEveryProgramOnceWithItsCounts) {
  std::set<int> ids;
  std::string cursor;
  int pages = 0;
  for (; pages < 100; ++pages) {
    auto r = http_get(port(),
                      "/observing_program?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto doc = r.json();
    for (const auto& p : doc["items"]) {
      EXPECT_TRUE(ids.insert(p["id"].get<int>()).second) << "listed twice";
      EXPECT_TRUE(p["sub_program_count"].is_number_integer()) << p.dump();
      EXPECT_TRUE(p["obs_unit_count"].is_number_integer()) << p.dump();
    }
    if (doc["next_cursor"].is_null()) break;
    cursor = doc["next_cursor"].get<std::string>();
  }
  PgProbe replica(stack_config().local_db);
  EXPECT_EQ(static_cast<long long>(ids.size()),
            replica.scalar("SELECT count(*) FROM observing_program"));
  EXPECT_GT(pages, 1);
  EXPECT_EQ(http_get(port(), "/observing_program?limit=0").status, 400);
  EXPECT_EQ(http_get(port(), "/observing_program?order=name").status, 400);
}

TEST_F(ProgramsTest, OneProgramCarriesItsSubProgramsAndObsUnits) {
  auto r = http_get(port(), "/observing_program/1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["sub_programs"].is_array());
  EXPECT_FALSE(r.json()["obs_units"].empty()) << "the demo program 1 has obs units";
  EXPECT_EQ(http_get(port(), "/observing_program/99999999").status, 404);
  EXPECT_EQ(http_get(port(), "/observing_program/x").status, 400);
}

TEST_F(ProgramsTest, AnAdministratorCreatesAndChangesProgramsOnTheMainDatabase) {
  auto created =
      http_json(port(), "POST", "/observing_program",
                {{"name", name_}, {"short_name", name_.substr(8)}, {"description", "test"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const int id = created.json()["id"].get<int>();
  EXPECT_TRUE(wait_until(
      [&] { return http_get(port(), "/observing_program/" + std::to_string(id)).status == 200; },
      10s, 50ms))
      << "the new program never reached the replica";
  EXPECT_EQ(http_json(port(), "POST", "/observing_program", {{"name", name_}}).status, 409);

  auto changed = http_json(port(), "PUT", "/observing_program/" + std::to_string(id),
                           {{"name", name_ + "-renamed"}, {"description", nullptr}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.json()["name"], name_ + "-renamed");
  EXPECT_TRUE(changed.json()["description"].is_null());
  EXPECT_EQ(changed.json()["short_name"], name_.substr(8)) << "a field not given keeps its value";
  EXPECT_EQ(
      http_json(port(), "PUT", "/observing_program/99999999", {{"name", name_ + "-x"}}).status,
      404);

  for (const json& bad : {json::object(), json{{"name", ""}}, json{{"name", 5}},
                          json{{"name", "x"}, {"owner", "me"}}}) {
    EXPECT_EQ(http_json(port(), "POST", "/observing_program", bad).status, 400) << bad.dump();
  }
  EXPECT_EQ(
      http_json(port(), "PUT", "/observing_program/" + std::to_string(id), json::object()).status,
      400);
}

TEST_F(ProgramsTest, WithTheMainDatabaseStoppedChangesAreRefusedClearlyAndReadsGoOn) {
  ASSERT_EQ(stop_main(), 0);
  auto refused = http_request(port(), "POST", "/observing_program", json{{"name", name_}}.dump(),
                              {{"Content-Type", "application/json"}}, 20'000);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.json()["error"]["message"].get<std::string>().find("main database"),
            std::string::npos)
      << refused.body;
  EXPECT_EQ(http_get(port(), "/observing_program/1").status, 200);
  ASSERT_EQ(start_main(), 0);
  PgProbe main(stack_config().main_db);
  EXPECT_EQ(main.scalar("SELECT count(*) FROM observing_program WHERE name = $1", {name_}), 0)
      << "a refused change was applied later";
}

}  // namespace
}  // namespace opsdb::test
