#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redis_probe.hpp"
#include "server_process.hpp"

namespace opsdb::test {

/// Settings of a secondary-site server in tests: short retry delays, intervals and database
/// deadlines, so faults show within seconds.
std::map<std::string, std::string> secondary_env(const std::string& site);

/// A write the server acknowledged: the record's id, the transaction's id and the status it
/// was answered with ("buffered", "journaled", ...).
struct AckedWrite {
  std::string id;
  std::string tx;
  std::string status;
};

/// A PostgreSQL uuid[] literal of the writes' transaction ids (`tx`) or record ids.
std::string uuid_array(const std::vector<AckedWrite>& writes, bool tx);

/// True once a transaction's status says it reached the main database.
bool applied_state(const nlohmann::json& status);

/// A fixture running one secondary-site server per test under a SITE_NAME of its own, so the
/// test sees only its own buffer. Puts back whatever a fault test did to the stack and deletes
/// the site's Redis keys afterwards; prints the server's log when the test failed.
class SecondarySiteFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// Starts the server with `secondary_env` plus `extra`.
  void start_server(std::map<std::string, std::string> extra = {});
  std::uint16_t port() const { return server_->port(); }
  /// Waits (up to a minute) until GET /transactions/{tx} says the transaction replicated; a
  /// test failure naming it when it does not.
  void wait_replicated(const std::string& tx);

  std::string site_, prefix_;
  std::unique_ptr<RedisProbe> redis_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace opsdb::test
