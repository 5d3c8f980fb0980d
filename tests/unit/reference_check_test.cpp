#include "opsdb/tx/reference_check.hpp"

#include <gtest/gtest.h>

#include "opsdb/core/clock.hpp"
#include "opsdb/tx/transaction_builder.hpp"

namespace opsdb {
namespace {

// Knows fixed ids for the refresh, and single-id lookups from `extra`; or fails.
class FakeReferenceIds final : public ReferenceIds {
 public:
  bool down = false;
  std::set<long long> extra_obs_units;
  int lookups = 0;

  void all(const std::set<std::string>&, Callback<IdsByTable> done) override {
    if (down) return done(Error{Fault::unavailable, "down", ""});
    done(IdsByTable{{"obs_unit", {1, 2}}, {"instrument_module", {1, 4}}});
  }
  void exists(const std::string& table, long long id, Callback<bool> done) override {
    if (down) return done(Error{Fault::unavailable, "down", ""});
    ++lookups;
    done(table == "obs_unit" && extra_obs_units.count(id) > 0);
  }
};

class ReferenceCheckTest : public ::testing::Test {
 protected:
  std::optional<ApiError> check(int obs_unit_id, int module_id = 1) {
    auto tx = builder_
                  .start_observation({{"obs_unit_id", obs_unit_id},
                                      {"instrument_module_configurations",
                                       {{{"instrument_module_id", module_id},
                                         {"configuration", nlohmann::json::object()}}}}})
                  .tx;
    std::optional<ApiError> result;
    bool called = false;
    check_.check(tx, [&](std::optional<ApiError> e) {
      called = true;
      result = std::move(e);
    });
    EXPECT_TRUE(called);
    return result;
  }

  ManualClock clock_;
  TransactionBuilder builder_{"observatory", clock_};
  FakeReferenceIds db_;
  ReferenceCheck check_{db_};
};

TEST_F(ReferenceCheckTest, AcceptsEverythingUntilTheIdsAreKnown) {
  EXPECT_FALSE(check(999));
  EXPECT_EQ(db_.lookups, 0);
}

TEST_F(ReferenceCheckTest, KnownIdsPassWithoutALookup) {
  check_.refresh();
  EXPECT_FALSE(check(2, 4));
  EXPECT_EQ(db_.lookups, 0);
}

TEST_F(ReferenceCheckTest, UnknownIdsAreRefusedNamingTheField) {
  check_.refresh();
  auto error = check(999);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::unprocessable);
  EXPECT_NE(std::string(error->what()).find("obs_unit_id 999"), std::string::npos);
  auto module = check(1, 77);
  ASSERT_TRUE(module);
  EXPECT_NE(std::string(module->what()).find("instrument_module_id 77"), std::string::npos);
}

TEST_F(ReferenceCheckTest, NewReferenceDataIsLookedUpOnceThenKnown) {
  check_.refresh();
  db_.extra_obs_units.insert(3);
  EXPECT_FALSE(check(3));
  EXPECT_EQ(db_.lookups, 1);
  EXPECT_FALSE(check(3));
  EXPECT_EQ(db_.lookups, 1);
}

TEST_F(ReferenceCheckTest, AnUnreachableLocalDatabaseNeverRefusesAWrite) {
  check_.refresh();
  db_.down = true;
  EXPECT_FALSE(check(999));
}

}  // namespace
}  // namespace opsdb
