#include "stack.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <mutex>

#include "http_client.hpp"
#include "opsdb/app/token_commands.hpp"
#include "opsdb/postgres/migrator.hpp"
#include "pg_probe.hpp"
#include "wait.hpp"

namespace opsdb::test {

Config stack_config() {
  auto config = load_config(process_environment(), std::nullopt);
  config.main_db.connect_timeout = std::chrono::seconds(2);
  config.main_db.statement_timeout = std::chrono::seconds(5);
  return config;
}

redis::RedisOptions stack_redis_options() {
  auto config = stack_config();
  redis::RedisOptions o;
  o.host = config.redis_host;
  o.port = config.redis_port;
  o.password = config.redis_password;
  o.command_timeout = std::chrono::seconds(5);
  return o;
}

DbConfig superuser(const DbConfig& db) {
  DbConfig su = db;
  const char* socket_dir = std::getenv("STACK_PG_SOCKET_DIR");
  su.host = socket_dir ? socket_dir : "/var/run/postgresql";
  su.user = "postgres";
  su.password.clear();
  return su;
}

std::map<std::string, std::string> stack_environment() {
  std::map<std::string, std::string> env;
  for (const auto& [key, value] : process_environment()) {
    // The sanitizers' options (sanitizer builds) go to the server too: its suppressions, and
    // that a report ends it.
    for (const char* prefix : {"MAIN_DB_", "LOCAL_DB_", "REDIS_", "SITE_NAME", "PATH", "HOME",
                               "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
      if (key.rfind(prefix, 0) == 0) env[key] = value;
    }
  }
  return env;
}

std::string server_binary() {
  return OPSDB_BINARY;
}
std::string source_dir() {
  return OPSDB_SOURCE_DIR;
}

int shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void prepare_database() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto config = stack_config();
    migrate(config.main_db);
    seed_demo(config.main_db);
    // Every request of the suite carries an administrator's token unless a test says otherwise.
    // A secondary site verifies it on the replica, so it must have arrived there first.
    const auto issued = create_token(config, {.user = "integration-tests",
                                              .role = Role::admin,
                                              .name = "integration suite",
                                              .expires_in_days = 1,
                                              .provision_user = true});
    PgProbe replica(config.local_db);
    EXPECT_TRUE(wait_until(
        [&] {
          return replica.scalar("SELECT count(*) FROM api_token WHERE prefix = $1",
                                {issued.info.prefix}) == 1;
        },
        std::chrono::seconds(30), "the suite's token to reach the replica"));
    set_default_authorization("Bearer " + issued.token);
  });
}

}  // namespace opsdb::test
