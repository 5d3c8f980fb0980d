#pragma once

#include <map>
#include <string>

#include "opsdb/config/config.hpp"
#include "opsdb/redis/redis_client.hpp"

namespace opsdb::test {

/// The local stack's addresses as exported by `scripts/stack.sh env` (defaults otherwise).
Config stack_config();

/// The stack's Redis for test clients, with a generous command deadline.
redis::RedisOptions stack_redis_options();

/// `db` reached as the PostgreSQL superuser over the stack's Unix socket (root only), for
/// tests that operate the server itself (pause replay, ...).
DbConfig superuser(const DbConfig& db);

/// The environment variables a server process needs to reach the stack, and the sanitizers'
/// options.
std::map<std::string, std::string> stack_environment();

/// Path of the built ops-db-api binary and of the source tree.
std::string server_binary();
std::string source_dir();

/// Runs a shell command, returns its exit status.
int shell(const std::string& command);

/// Applies migrations and demo data to the main database, and makes an administrator token that
/// every test request then carries (once per process).
void prepare_database();

}  // namespace opsdb::test
