#include "secondary_site.hpp"

#include <iostream>

#include "fault.hpp"
#include "http_client.hpp"
#include "stack.hpp"

namespace opsdb::test {

std::map<std::string, std::string> secondary_env(const std::string& site) {
  return {{"SITE_TYPE", "secondary"},
          {"SITE_NAME", site},
          {"TRANSACTION_RETRY_ATTEMPTS", "3"},
          {"TRANSACTION_RETRY_DELAY", "0.2"},
          {"RETRY_MAX_DELAY", "1"},
          {"BACKGROUND_PROCESSING_INTERVAL", "0.05"},
          {"MAIN_DB_CONNECT_TIMEOUT", "1"},
          {"MAIN_DB_STATEMENT_TIMEOUT", "2"},
          {"DRAIN_BATCH_SIZE", "100"},
          {"LSN_CHECK_INTERVAL", "0.05"},
          {"HEALTH_CHECK_INTERVAL", "0.1"}};
}

std::string uuid_array(const std::vector<AckedWrite>& writes, bool tx) {
  std::string out = "{";
  for (std::size_t i = 0; i < writes.size(); ++i) {
    if (i) out += ",";
    out += tx ? writes[i].tx : writes[i].id;
  }
  return out + "}";
}

bool applied_state(const nlohmann::json& doc) {
  return doc.is_object() &&
         (doc.value("state", "") == "applied" || doc.value("state", "") == "replicated");
}

void SecondarySiteFixture::SetUp() {
  restore_stack();  // whatever an earlier test left behind
  prepare_database();
  site_ = "t_" + random_hex(12);
  prefix_ = "site:" + site_ + ":";
  redis_ = std::make_unique<RedisProbe>();
}

void SecondarySiteFixture::TearDown() {
  if (server_) {
    if (HasFailure()) {
      auto log = server_->log();
      if (log.size() > 20000) log = "...\n" + log.substr(log.size() - 20000);
      std::cout << "--- server log (" << site_ << ") ---\n" << log;
    }
    server_->kill();
    server_.reset();
  }
  restore_stack();
  if (site_.empty()) return;
  try {
    RedisProbe redis;
    redis.delete_matching(prefix_ + "*");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cleaning the site's Redis keys: " << e.what();
  }
}

void SecondarySiteFixture::start_server(std::map<std::string, std::string> extra) {
  auto env = secondary_env(site_);
  for (auto& [k, v] : extra) env[k] = v;
  server_ = std::make_unique<ServerProcess>(env);
  ASSERT_TRUE(server_->running()) << "the server did not start";
}

void SecondarySiteFixture::wait_replicated(const std::string& tx) {
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = http_get(port(), "/transactions/" + tx);
        return r.status == 200 && r.json().value("state", "") == "replicated";
      },
      std::chrono::seconds(60)))
      << tx << " never replicated";
}

}  // namespace opsdb::test
