#include "opsdb/tx/transaction_builder.hpp"

#include <gtest/gtest.h>

#include "opsdb/core/error.hpp"
#include "opsdb/core/timestamp.hpp"
#include "opsdb/core/uuid.hpp"

namespace opsdb {
namespace {

using nlohmann::json;

class TransactionBuilderTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  TransactionBuilder builder_{"observatory", clock_};
  const std::string obs_id_ = "6f1c1c9e-8d7a-4c55-9a55-0c8c0f5e7a11";

  json file(const std::string& path) {
    return {{"name", "scan.fits"},       {"relative_path", path}, {"executed_obs_unit_id", obs_id_},
            {"instrument_module_id", 1}, {"size_bytes", 1024},    {"checksum", "sha256:abc"}};
  }
};

// Runs `f`, expecting a bad_request ApiError; returns its details.
template <typename F>
json expect_bad_request(F f) {
  try {
    f();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_request) << e.what();
    return e.details().is_null() ? json::object() : e.details();
  }
  ADD_FAILURE() << "expected a bad_request error";
  return json::object();
}

bool has_problem(const json& details, const std::string& field) {
  for (const auto& p : details.value("problems", json::array())) {
    if (p["field"] == field) return true;
  }
  return false;
}

TEST_F(TransactionBuilderTest, StartBuildsARowWithPregeneratedIdsAndDefaults) {
  auto w = builder_.start_observation({{"obs_unit_id", 1}});
  ASSERT_TRUE(is_uuid(w.response["id"].get<std::string>()));
  EXPECT_TRUE(is_uuid(w.tx.id));
  EXPECT_EQ(w.tx.site, "observatory");
  EXPECT_EQ(w.tx.origin, "POST /executed_obs_units/start");
  ASSERT_EQ(w.tx.steps.size(), 2u);
  const auto& row = w.tx.steps[0].row;
  EXPECT_EQ(w.tx.steps[0].table, "executed_obs_unit");
  EXPECT_EQ(row["id"], w.response["id"]);
  EXPECT_EQ(row["status"], "running");
  EXPECT_EQ(row["start_time"], format_timestamp(clock_.now()));
  EXPECT_EQ(row["conditions"], json::object());
  EXPECT_EQ(w.tx.steps[1].table, "executed_obs_unit_status_change");
  EXPECT_EQ(w.tx.steps[1].row["to_status"], "running");
  // The document survives the trip through the buffer format unchanged.
  EXPECT_EQ(Transaction::from_json(w.tx.to_json()).to_json(), w.tx.to_json());
}

TEST_F(TransactionBuilderTest, StartNormalisesTimesAndCarriesConfigurations) {
  auto w = builder_.start_observation(
      {{"obs_unit_id", 2},
       {"start_time", "2026-11-25T12:00:00-03:00"},
       {"conditions", {{"pwv_mm", 0.4}}},
       {"instrument_module_configurations",
        {{{"instrument_module_id", 4}, {"configuration", {{"lo_ghz", 492.16}}}}}}});
  EXPECT_EQ(w.tx.steps[0].row["start_time"], "2026-11-25T15:00:00.000000Z");
  ASSERT_EQ(w.tx.steps.size(), 3u);
  EXPECT_EQ(w.tx.steps[2].op, Step::Op::insert_many);
  EXPECT_EQ(w.tx.steps[2].rows[0]["executed_obs_unit_id"], w.response["id"]);
  EXPECT_EQ(w.response["instrument_module_configuration_ids"].size(), 1u);
}

TEST_F(TransactionBuilderTest, StartRejectsEveryBadFieldAtOnce) {
  auto details = expect_bad_request([&] {
    builder_.start_observation(
        {{"obs_unit_id", "one"}, {"status", "sleeping"}, {"start_time", "noon"}, {"colour", 1}});
  });
  EXPECT_TRUE(has_problem(details, "obs_unit_id"));
  EXPECT_TRUE(has_problem(details, "status"));
  EXPECT_TRUE(has_problem(details, "start_time"));
  EXPECT_TRUE(has_problem(details, "colour"));
}

TEST_F(TransactionBuilderTest, StartRequiresObsUnitAndAnObjectBody) {
  EXPECT_TRUE(has_problem(expect_bad_request([&] { builder_.start_observation(json::object()); }),
                          "obs_unit_id"));
  expect_bad_request([&] { builder_.start_observation(json::array({1, 2})); });
  expect_bad_request([&] { builder_.start_observation({{"obs_unit_id", 1}, {"conditions", 3}}); });
  expect_bad_request([&] { builder_.start_observation({{"obs_unit_id", 1.5}}); });
}

TEST_F(TransactionBuilderTest, FinishUpdatesStatusAndEndTime) {
  auto w = builder_.finish_observation(obs_id_, {{"status", "completed"}});
  ASSERT_EQ(w.tx.steps.size(), 2u);
  EXPECT_EQ(w.tx.steps[0].op, Step::Op::update);
  EXPECT_EQ(w.tx.steps[0].id, obs_id_);
  EXPECT_EQ(w.tx.steps[0].set["status"], "completed");
  EXPECT_EQ(w.tx.steps[0].set["end_time"], format_timestamp(clock_.now()));
}

TEST_F(TransactionBuilderTest, FinishRejectsRunningMissingStatusAndBadIds) {
  expect_bad_request([&] { builder_.finish_observation(obs_id_, {{"status", "running"}}); });
  expect_bad_request([&] { builder_.finish_observation(obs_id_, json::object()); });
  expect_bad_request([&] { builder_.finish_observation("42", {{"status", "completed"}}); });
}

TEST_F(TransactionBuilderTest, StatusChangeRecordsReason) {
  auto w = builder_.change_status(obs_id_, {{"status", "aborted"}, {"reason", "wind"}});
  EXPECT_EQ(w.tx.steps[1].row["reason"], "wind");
  expect_bad_request([&] { builder_.change_status(obs_id_, {{"status", "done"}}); });
}

TEST_F(TransactionBuilderTest, BulkFilesGetOneIdEachInOneTransaction) {
  auto w = builder_.register_files(json::array({file("a/1.fits"), file("a/2.fits")}));
  EXPECT_EQ(w.response["count"], 2);
  ASSERT_EQ(w.tx.steps.size(), 1u);
  EXPECT_EQ(w.tx.steps[0].rows.size(), 2u);
  EXPECT_EQ(w.response["ids"][1], w.tx.steps[0].rows[1]["id"]);
}

TEST_F(TransactionBuilderTest, BulkFilesPointAtTheBadElement) {
  auto bad = file("a/2.fits");
  bad["size_bytes"] = -5;
  auto details = expect_bad_request([&] {
    builder_.register_files(json::array({file("a/1.fits"), bad}));
  });
  EXPECT_TRUE(has_problem(details, "[1].size_bytes"));
  EXPECT_TRUE(
      has_problem(expect_bad_request([&] {
                    builder_.register_files(json::array({file("a/1.fits"), file("a/1.fits")}));
                  }),
                  "[1].relative_path"));
  expect_bad_request([&] { builder_.register_files(json::array()); });
  expect_bad_request([&] { builder_.register_files(file("x")); });
}

TEST_F(TransactionBuilderTest, FileRejectsMissingAndUnknownFields) {
  auto f = file("a.fits");
  f.erase("checksum");
  f["colour"] = "red";
  auto details = expect_bad_request([&] { builder_.register_file(f); });
  EXPECT_TRUE(has_problem(details, "checksum"));
  EXPECT_TRUE(has_problem(details, "colour"));
  auto g = file("b.fits");
  g["executed_obs_unit_id"] = "not-a-uuid";
  EXPECT_TRUE(
      has_problem(expect_bad_request([&] { builder_.register_file(g); }), "executed_obs_unit_id"));
}

TEST_F(TransactionBuilderTest, PackageAttachesFilesByUpdatingThem) {
  const std::string file_id = "0b7d3f5e-1111-4c55-9a55-0c8c0f5e7a11";
  auto w = builder_.create_package({{"name", "pkg-1"},
                                    {"executed_obs_unit_id", obs_id_},
                                    {"instrument_module_id", 1},
                                    {"raw_data_file_ids", {file_id}}});
  ASSERT_EQ(w.tx.steps.size(), 2u);
  EXPECT_EQ(w.tx.steps[0].row["status"], "building");
  EXPECT_EQ(w.tx.steps[1].op, Step::Op::update);
  EXPECT_EQ(w.tx.steps[1].id, file_id);
  EXPECT_EQ(w.tx.steps[1].set["raw_data_package_id"], w.response["id"]);
  expect_bad_request([&] {
    builder_.create_package({{"name", "p"},
                             {"executed_obs_unit_id", obs_id_},
                             {"instrument_module_id", 1},
                             {"raw_data_file_ids", {"nope"}}});
  });
}

TEST_F(TransactionBuilderTest, FinalizeMarksComplete) {
  auto w = builder_.finalize_package(obs_id_, {{"size_bytes", 10}, {"checksum", "x"}});
  EXPECT_EQ(w.tx.steps[0].set["status"], "complete");
  EXPECT_EQ(w.tx.steps[0].set["size_bytes"], 10);
  expect_bad_request([&] { builder_.finalize_package(obs_id_, {{"status", "complete"}}); });
}

TEST(TransactionDocument, RejectsIdentifiersOutsideTheRegistry) {
  ManualClock clock;
  TransactionBuilder builder("observatory", clock);
  auto doc = builder.start_observation({{"obs_unit_id", 1}}).tx.to_json();

  auto bad_table = doc;
  bad_table["steps"][0]["table"] = "api_token";
  EXPECT_THROW(Transaction::from_json(bad_table), std::invalid_argument);

  auto bad_column = doc;
  bad_column["steps"][0]["row"]["status; DROP TABLE x"] = "running";
  EXPECT_THROW(Transaction::from_json(bad_column), std::invalid_argument);

  auto bad_value = doc;
  bad_value["steps"][0]["row"]["status"] = "sleeping";
  EXPECT_THROW(Transaction::from_json(bad_value), std::invalid_argument);

  auto bad_op = doc;
  bad_op["steps"][0]["op"] = "delete";
  EXPECT_THROW(Transaction::from_json(bad_op), std::invalid_argument);

  auto not_updatable = doc;
  not_updatable["steps"][0] = {{"op", "update"},
                               {"table", "executed_obs_unit"},
                               {"id", doc["steps"][0]["row"]["id"]},
                               {"set", {{"obs_unit_id", 2}}}};
  EXPECT_THROW(Transaction::from_json(not_updatable), std::invalid_argument);
}

TEST(RequestBody, MalformedJsonIsABadRequest) {
  EXPECT_THROW(parse_body("{\"obs_unit_id\": "), ApiError);
  EXPECT_THROW(parse_body(""), ApiError);
  EXPECT_EQ(parse_body("{\"a\":1}")["a"], 1);
}

}  // namespace
}  // namespace opsdb
