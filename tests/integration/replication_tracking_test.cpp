// Replication tracking against the real primary and replica: a buffered write is applied with
// its commit LSN, becomes "replicated" once the replica has replayed that far, and only then
// are its caches dropped; without tracking they go right after the apply.
#include <gtest/gtest.h>

#include <thread>

#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/uuid.hpp"
#include "support/http_client.hpp"
#include "support/pg_probe.hpp"
#include "support/redis_probe.hpp"
#include "support/secondary_site.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"
#include "support/wait.hpp"

namespace opsdb::test {
namespace {

using nlohmann::json;

class ReplicationTrackingTest : public SecondarySiteFixture {
 protected:
  // Polls GET /transactions/{tx} until its state is `state` (bounded).
  json wait_for_state(const std::string& tx, const std::string& state) {
    json doc;
    auto reached = wait_until(
        [&] {
          doc = http_get(port(), "/transactions/" + tx).json();
          return doc.value("state", "") == state;
        },
        std::chrono::seconds(10), "transaction " + tx + " to reach " + state,
        std::chrono::milliseconds(25));
    if (!reached) ADD_FAILURE() << reached.message() << ": " << doc.dump();
    return doc;
  }
};

TEST_F(ReplicationTrackingTest, CachesLiveUntilTheReplicaHasTheWrite) {
  start_server();
  RedisKeys keys(site_);
  auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 2}});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json()["id"], tx = r.json()["transaction_id"];
  // Enqueue wrote the record cache and the index entry together with the buffer entry.
  EXPECT_TRUE(redis_->exists(keys.record("executed_obs_unit", id)));
  EXPECT_FALSE(
      redis_->command({"ZSCORE", keys.index("executed_obs_unit", "obs_unit_id", "2"), id}).is_nil());
  EXPECT_FALSE(redis_->command({"ZSCORE", keys.listing("executed_obs_unit"), id}).is_nil());

  auto done = wait_for_state(tx, "replicated");
  ASSERT_TRUE(done["lsn"].is_string());
  // The replica really has the row, and the caches are gone.
  PgProbe replica(stack_config().local_db);
  EXPECT_EQ(replica.scalar("SELECT count(*) FROM executed_obs_unit WHERE id = $1", {id}), 1);
  EXPECT_GE(replica.scalar("SELECT (pg_last_wal_replay_lsn() - $1::pg_lsn)::bigint",
                           {done["lsn"].get<std::string>()}),
            0);
  EXPECT_FALSE(redis_->exists(keys.record("executed_obs_unit", id)));
  EXPECT_TRUE(
      redis_->command({"ZSCORE", keys.index("executed_obs_unit", "obs_unit_id", "2"), id}).is_nil());
  EXPECT_TRUE(redis_->command({"ZSCORE", keys.listing("executed_obs_unit"), id}).is_nil());
  EXPECT_EQ(redis_->command({"ZCARD", keys.awaiting_replication()}).integer, 0);
  // Only the final status remains, with a TTL.
  EXPECT_GT(redis_->command({"TTL", keys.status(tx)}).integer, 0);
}

TEST_F(ReplicationTrackingTest, ReadBufferOverlayOutlivesTheRecordUntilItsOwnWriteReplicates) {
  // Replication paused: the replica stops replaying, so nothing can be confirmed.
  ReplayPause replay;

  start_server();
  RedisKeys keys(site_);
  auto start = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  ASSERT_EQ(start.status, 201);
  const std::string id = start.json()["id"];
  auto finish =
      http_json(port(), "PUT", "/executed_obs_units/" + id + "/finish", {{"status", "completed"}});
  ASSERT_EQ(finish.status, 200);
  const std::string finish_tx = finish.json()["transaction_id"];
  EXPECT_EQ(redis_->command({"HGET", keys.overlay("executed_obs_unit", id), "status"}).str,
            "\"completed\"");

  wait_for_state(finish_tx, "applied");
  // Deliberately lets time pass: the tracker polls the paused replica meanwhile, and nothing may
  // be confirmed or dropped.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Applied on the main DB but not replayed locally: every cache stays.
  EXPECT_EQ(http_get(port(), "/transactions/" + finish_tx).json()["state"], "applied");
  EXPECT_TRUE(redis_->exists(keys.record("executed_obs_unit", id)));
  EXPECT_TRUE(redis_->exists(keys.overlay("executed_obs_unit", id)));
  EXPECT_EQ(redis_->command({"ZCARD", keys.awaiting_replication()}).integer, 2);

  replay.resume();
  wait_for_state(finish_tx, "replicated");
  EXPECT_FALSE(redis_->exists(keys.record("executed_obs_unit", id)));
  EXPECT_FALSE(redis_->exists(keys.overlay("executed_obs_unit", id)));
}

TEST_F(ReplicationTrackingTest, WithoutTrackingCachesGoRightAfterTheApply) {
  start_server({{"LSN_TRACKING_ENABLED", "false"}});
  RedisKeys keys(site_);
  auto r = http_json(port(), "POST", "/executed_obs_units/start", {{"obs_unit_id", 1}});
  ASSERT_EQ(r.status, 201);
  const std::string id = r.json()["id"], tx = r.json()["transaction_id"];
  auto doc = wait_for_state(tx, "applied");
  EXPECT_TRUE(doc["lsn"].is_string());
  EXPECT_FALSE(redis_->exists(keys.record("executed_obs_unit", id)));
  EXPECT_EQ(redis_->command({"ZCARD", keys.awaiting_replication()}).integer, 0);
}

}  // namespace
}  // namespace opsdb::test
