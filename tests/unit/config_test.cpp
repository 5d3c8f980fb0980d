#include "opsdb/config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "support/stack.hpp"

namespace opsdb {
namespace {

Config load(const std::map<std::string, std::string>& env) {
  return load_config(env, std::nullopt);
}

std::string error_of(const std::map<std::string, std::string>& env) {
  try {
    load(env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsWhenNothingIsSet) {
  auto c = load({});
  EXPECT_EQ(c.site_name, "observatory");
  EXPECT_EQ(c.site_type, SiteType::secondary);
  EXPECT_EQ(c.http_port, 8000);
  EXPECT_EQ(c.transaction_retry_attempts, 3);
  EXPECT_EQ(c.transaction_retry_delay, std::chrono::seconds(5));
  EXPECT_EQ(c.background_processing_interval, std::chrono::seconds(1));
  EXPECT_EQ(c.lsn_check_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(c.lsn_timeout, std::chrono::seconds(30));
  EXPECT_TRUE(c.lsn_tracking_enabled);
  EXPECT_EQ(c.log_format, LogFormat::text);
}

TEST(Config, ReadsTypedValues) {
  auto c = load({{"SITE_TYPE", "secondary"},
                 {"MAIN_DB_PORT", "55432"},
                 {"MAIN_DB_HOST", "db.example"},
                 {"LSN_CHECK_INTERVAL", "0.25"},
                 {"LSN_TRACKING_ENABLED", "false"},
                 {"LOG_FORMAT", "json"},
                 {"DRAIN_BATCH_SIZE", "200"}});
  EXPECT_EQ(c.site_type, SiteType::secondary);
  EXPECT_EQ(c.main_db.port, 55432);
  EXPECT_EQ(c.lsn_check_interval, std::chrono::milliseconds(250));
  EXPECT_FALSE(c.lsn_tracking_enabled);
  EXPECT_EQ(c.log_format, LogFormat::json);
  EXPECT_EQ(c.drain_batch_size, 200);
  // The local database defaults to the main database's settings unless given.
  EXPECT_EQ(c.local_db.host, "db.example");
}

TEST(Config, BadValuesNameTheKey) {
  EXPECT_NE(error_of({{"HTTP_PORT", "eighty"}}).find("HTTP_PORT"), std::string::npos);
  EXPECT_NE(error_of({{"HTTP_PORT", "70000"}}).find("HTTP_PORT"), std::string::npos);
  EXPECT_NE(error_of({{"SITE_TYPE", "moon"}}).find("SITE_TYPE"), std::string::npos);
  EXPECT_NE(error_of({{"LSN_TRACKING_ENABLED", "maybe"}}).find("LSN_TRACKING_ENABLED"),
            std::string::npos);
  EXPECT_NE(error_of({{"TRANSACTION_RETRY_DELAY", "-1"}}).find("TRANSACTION_RETRY_DELAY"),
            std::string::npos);
  EXPECT_NE(error_of({{"LOG_LEVEL", "loud"}}).find("LOG_LEVEL"), std::string::npos);
  EXPECT_NE(error_of({{"SITE_NAME", "a b"}}).find("SITE_NAME"), std::string::npos);
  EXPECT_NE(error_of({{"MAIN_DB_HOST", ""}}).find("MAIN_DB_HOST"), std::string::npos);
}

TEST(Config, RetryMaxDelayMustCoverTheFirstDelay) {
  EXPECT_NE(error_of({{"TRANSACTION_RETRY_DELAY", "10"}, {"RETRY_MAX_DELAY", "5"}})
                .find("RETRY_MAX_DELAY"),
            std::string::npos);
}

TEST(Config, EnvironmentWinsOverDotenvWhichWinsOverDefaults) {
  const std::string path = ::testing::TempDir() + "/opsdb_config_test.env";
  {
    std::ofstream f(path);
    f << "# comment\nexport SITE_NAME=from_file\nHTTP_PORT=9001\nSECRET_KEY=\"a b # c and enough "
         "bytes for a key!\"\n"
         "REDIS_PORT=6390 # trailing comment\n";
  }
  auto c = load_config({{"HTTP_PORT", "9002"}}, path);
  std::remove(path.c_str());
  EXPECT_EQ(c.site_name, "from_file");
  EXPECT_EQ(c.http_port, 9002);
  EXPECT_EQ(c.secret_key, "a b # c and enough bytes for a key!");
  EXPECT_EQ(c.redis_port, 6390);
}

// HS256 with a short key can be brute-forced; the refusal never repeats the key.
TEST(Config, ASecretKeyShorterThan32BytesRefusesToStartOutsideDevelopmentMode) {
  const std::string short_key = "only-twenty-bytes-xx";
  const auto message = error_of({{"SECRET_KEY", short_key}});
  EXPECT_NE(message.find("SECRET_KEY"), std::string::npos) << message;
  EXPECT_EQ(message.find(short_key), std::string::npos) << message;
  EXPECT_NO_THROW(load_config({{"SECRET_KEY", short_key}, {"INSECURE_DEVELOPMENT_MODE", "true"}},
                              std::nullopt));
  EXPECT_NO_THROW(load_config({{"SECRET_KEY", std::string(32, 'k')}}, std::nullopt));
  EXPECT_TRUE(load_config({}, std::nullopt).secret_key.empty()) << "no key: only API tokens";
}

TEST(Config, MissingDotenvFileIsFine) {
  EXPECT_NO_THROW(load_config({}, std::string("/nonexistent/.env")));
}

TEST(Config, RedactedConnectionStringHidesThePassword) {
  DbConfig db;
  db.password = "s3cret pass";
  EXPECT_NE(connection_string(db).find("s3cret"), std::string::npos);
  EXPECT_EQ(redacted_connection_string(db).find("s3cret"), std::string::npos);
  EXPECT_NE(connection_string(db).find("statement_timeout"), std::string::npos);
  EXPECT_NE(connection_string(db).find("connect_timeout=5"), std::string::npos);
}

}  // namespace
}  // namespace opsdb

namespace opsdb {
namespace {

TEST(Config, TheDrainLeaseOutlivesOneMainDatabaseCall) {
  auto c = load_config({{"MAIN_DB_CONNECT_TIMEOUT", "5"}, {"MAIN_DB_STATEMENT_TIMEOUT", "30"}},
                       std::nullopt);
  EXPECT_EQ(c.drain_lease_ttl, std::chrono::seconds(70)) << "twice the 35 s call deadline";
  c = load_config({{"MAIN_DB_CONNECT_TIMEOUT", "1"}, {"MAIN_DB_STATEMENT_TIMEOUT", "2"}},
                  std::nullopt);
  EXPECT_EQ(c.drain_lease_ttl, std::chrono::seconds(30));
  EXPECT_THROW(load_config({{"MAIN_DB_CONNECT_TIMEOUT", "1"},
                            {"MAIN_DB_STATEMENT_TIMEOUT", "2"},
                            {"DRAIN_LEASE_TTL", "3"}},
                           std::nullopt),
               ConfigError);
  c = load_config({{"MAIN_DB_CONNECT_TIMEOUT", "1"},
                   {"MAIN_DB_STATEMENT_TIMEOUT", "2"},
                   {"DRAIN_LEASE_TTL", "4"}},
                  std::nullopt);
  EXPECT_EQ(c.drain_lease_ttl, std::chrono::seconds(4));
  EXPECT_GE(c.drain_stall_timeout, std::chrono::seconds(60));
}

TEST(Config, TheDrainFaultHookIsOffUnlessAskedFor) {
  EXPECT_EQ(load_config({}, std::nullopt).drain_test_throws, 0);
  EXPECT_EQ(load_config({{"DRAIN_TEST_FAULT", "throw:3"}}, std::nullopt).drain_test_throws, 3);
  EXPECT_THROW(load_config({{"DRAIN_TEST_FAULT", "crash"}}, std::nullopt), ConfigError);
  EXPECT_THROW(load_config({{"DRAIN_TEST_FAULT", "throw:x"}}, std::nullopt), ConfigError);
}

TEST(Config, ConnectionAndQueueLimitsAreTypedAndChecked) {
  const auto defaults = load_config({}, std::nullopt);
  EXPECT_EQ(defaults.http_max_connections, 1024u);
  EXPECT_EQ(defaults.http_header_timeout, std::chrono::seconds(10));
  EXPECT_LT(defaults.http_header_timeout, defaults.http_body_timeout);
  EXPECT_EQ(defaults.db_queue_limit, 256u);

  const auto c = load_config({{"HTTP_MAX_CONNECTIONS", "5000"},
                              {"HTTP_HEADER_TIMEOUT", "2.5"},
                              {"HTTP_IDLE_TIMEOUT", "60"},
                              {"HTTP_BODY_TIMEOUT", "45"},
                              {"HTTP_WRITE_TIMEOUT", "20"},
                              {"DB_QUEUE_LIMIT", "32"},
                              {"DB_QUEUE_TIMEOUT", "0.25"}},
                             std::nullopt);
  EXPECT_EQ(c.http_max_connections, 5000u);
  EXPECT_EQ(c.http_header_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.http_idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(c.http_body_timeout, std::chrono::seconds(45));
  EXPECT_EQ(c.http_write_timeout, std::chrono::seconds(20));
  EXPECT_EQ(c.db_queue_limit, 32u);
  EXPECT_EQ(c.db_queue_timeout, std::chrono::milliseconds(250));

  for (const std::string key : {"HTTP_MAX_CONNECTIONS", "DB_QUEUE_LIMIT"}) {
    EXPECT_NE(error_of({{key, "0"}}).find(key), std::string::npos);
    EXPECT_NE(error_of({{key, "many"}}).find(key), std::string::npos);
  }
  for (const std::string key : {"HTTP_HEADER_TIMEOUT", "HTTP_IDLE_TIMEOUT", "HTTP_BODY_TIMEOUT",
                                "HTTP_WRITE_TIMEOUT", "DB_QUEUE_TIMEOUT"}) {
    EXPECT_NE(error_of({{key, "0"}}).find(key), std::string::npos);
    EXPECT_NE(error_of({{key, "soon"}}).find(key), std::string::npos);
  }
}

TEST(Config, InputLimitsHaveDefaultsAndAreValidated) {
  auto c = load({});
  EXPECT_EQ(c.http_json_max_depth, 64u);
  EXPECT_EQ(c.http_json_max_string, 64u * 1024);
  EXPECT_EQ(c.bulk_max_files, 10'000u);

  c = load({{"HTTP_JSON_MAX_STRING", "100"}, {"BULK_MAX_FILES", "7"}});
  EXPECT_EQ(c.http_json_max_string, 100u);
  EXPECT_EQ(c.bulk_max_files, 7u);

  EXPECT_NE(error_of({{"HTTP_JSON_MAX_STRING", "0"}}).find("HTTP_JSON_MAX_STRING"),
            std::string::npos);
  EXPECT_NE(error_of({{"BULK_MAX_FILES", "many"}}).find("BULK_MAX_FILES"), std::string::npos);
  EXPECT_NE(error_of({{"BULK_MAX_FILES", "0"}}).find("BULK_MAX_FILES"), std::string::npos);
  // A body deeper than the drain reads documents would be accepted, then dead-lettered.
  EXPECT_NE(error_of({{"HTTP_JSON_MAX_DEPTH", "121"}}).find("HTTP_JSON_MAX_DEPTH"),
            std::string::npos);
  EXPECT_EQ(load({{"HTTP_JSON_MAX_DEPTH", "120"}}).http_json_max_depth, 120u);
}

TEST(Config, TheTelescopeSiteAndTheVisibilityCacheHaveDefaultsAndAreValidated) {
  auto c = load({});
  EXPECT_DOUBLE_EQ(c.telescope_latitude_deg, -22.9856);
  EXPECT_DOUBLE_EQ(c.telescope_longitude_deg, -67.7403);
  EXPECT_DOUBLE_EQ(c.telescope_altitude_m, 5612);
  EXPECT_EQ(c.visibility_cache_entries, 4096u);
  EXPECT_EQ(c.visibility_cache_ttl, std::chrono::hours(24));
  EXPECT_EQ(c.visibility_threads, 1);
  EXPECT_EQ(c.visibility_queue_limit, 64u);

  c = load({{"TELESCOPE_LATITUDE_DEG", "19.8207"},
            {"TELESCOPE_LONGITUDE_DEG", "-155.4681"},
            {"TELESCOPE_ALTITUDE_M", "4205"},
            {"VISIBILITY_CACHE_ENTRIES", "10"},
            {"VISIBILITY_CACHE_TTL", "60"},
            {"VISIBILITY_QUEUE_LIMIT", "8"}});
  EXPECT_DOUBLE_EQ(c.telescope_latitude_deg, 19.8207);
  EXPECT_DOUBLE_EQ(c.telescope_longitude_deg, -155.4681);
  EXPECT_DOUBLE_EQ(c.telescope_altitude_m, 4205);
  EXPECT_EQ(c.visibility_cache_entries, 10u);
  EXPECT_EQ(c.visibility_cache_ttl, std::chrono::seconds(60));
  EXPECT_EQ(c.visibility_queue_limit, 8u);

  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"TELESCOPE_LATITUDE_DEG", "-91"},
                                                        {"TELESCOPE_LATITUDE_DEG", "south"},
                                                        {"TELESCOPE_LONGITUDE_DEG", "292.26"},
                                                        {"TELESCOPE_LONGITUDE_DEG", "nan"},
                                                        {"TELESCOPE_ALTITUDE_M", "18412"},
                                                        {"VISIBILITY_CACHE_ENTRIES", "-1"},
                                                        {"VISIBILITY_CACHE_TTL", "0"},
                                                        {"VISIBILITY_THREADS", "0"},
                                                        {"VISIBILITY_QUEUE_LIMIT", "0"}}) {
    EXPECT_NE(error_of({{key, value}}).find(key), std::string::npos) << key << "=" << value;
  }
}

TEST(Config, RedisSentinelsAndReplicaAcknowledgement) {
  auto c = load({});
  EXPECT_TRUE(c.redis_sentinels.empty());
  EXPECT_EQ(c.redis_sentinel_master, "mymaster");
  EXPECT_EQ(c.redis_min_replicas_ack, 0);

  c = load({{"REDIS_SENTINELS", "10.0.0.1:26379, sentinel-b:26380,[::1]:26381"},
            {"REDIS_SENTINEL_MASTER", "buffer"},
            {"REDIS_MIN_REPLICAS_ACK", "1"}});
  EXPECT_EQ(c.redis_sentinels,
            (std::vector<HostPort>{{"10.0.0.1", 26379}, {"sentinel-b", 26380}, {"::1", 26381}}));
  EXPECT_EQ(c.redis_sentinel_master, "buffer");
  EXPECT_EQ(c.redis_min_replicas_ack, 1);

  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"REDIS_SENTINELS", "10.0.0.1"},
                                                        {"REDIS_SENTINELS", "a:0"},
                                                        {"REDIS_SENTINELS", ":26379"},
                                                        {"REDIS_SENTINELS", "a:port"},
                                                        {"REDIS_SENTINEL_MASTER", ""},
                                                        {"REDIS_MIN_REPLICAS_ACK", "-1"},
                                                        {"REDIS_MIN_REPLICAS_ACK", "17"}}) {
    EXPECT_NE(error_of({{key, value}}).find(key), std::string::npos) << key << "=" << value;
  }
}

// The example file is the operators' reference: every key the server reads is there, and
// nothing else (a key the server does not know would be silently ignored in production).
TEST(Config, ExampleFileListsExactlyTheKeysTheServerReads) {
  std::ifstream file(test::source_dir() + "/config/ops-db-api.env.example");
  ASSERT_TRUE(file) << "config/ops-db-api.env.example";
  std::set<std::string> documented;
  const std::regex assignment(R"(^(# )?([A-Z][A-Z0-9_]*)=)");
  std::string line;
  while (std::getline(file, line)) {
    std::smatch m;
    if (std::regex_search(line, m, assignment)) documented.insert(m[2]);
  }
  const auto keys = config_keys();
  const std::set<std::string> known(keys.begin(), keys.end());
  EXPECT_EQ(known.size(), keys.size()) << "config_keys() lists a key twice";
  for (const auto& key : known) EXPECT_TRUE(documented.count(key)) << key << " is not documented";
  for (const auto& key : documented) EXPECT_TRUE(known.count(key)) << key << " is not read";
  EXPECT_TRUE(known.count("REDIS_SENTINELS"));
  EXPECT_TRUE(known.count("MAIN_DB_HOST"));
}

}  // namespace
}  // namespace opsdb
