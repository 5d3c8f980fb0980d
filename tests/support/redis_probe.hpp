#pragma once

#include <memory>
#include <string>
#include <vector>

#include "opsdb/redis/redis_client.hpp"

namespace opsdb::test {

/// Blocking access to the stack's Redis (REDIS_HOST/PORT/PASSWORD from the environment) for
/// looking at a site's keys from a test. Runs the project's own client on a thread of its own;
/// every call has a deadline and throws std::runtime_error on failure or an error reply.
class RedisProbe {
 public:
  RedisProbe();
  /// A probe of any Redis (or of the master some Sentinels name).
  explicit RedisProbe(redis::RedisOptions options);
  ~RedisProbe();
  RedisProbe(const RedisProbe&) = delete;
  RedisProbe& operator=(const RedisProbe&) = delete;

  /// Runs one command and waits for its reply.
  redis::Reply command(std::vector<std::string> args);

  long long llen(const std::string& key) { return command({"LLEN", key}).integer; }
  long long zcard(const std::string& key) { return command({"ZCARD", key}).integer; }
  bool exists(const std::string& key) { return command({"EXISTS", key}).integer > 0; }
  /// Deletes one key; true if it existed.
  bool del(const std::string& key) { return command({"DEL", key}).integer > 0; }
  std::vector<std::string> lrange(const std::string& key, long long start, long long stop);
  /// Field → value pairs of a hash, flattened (field, value, field, value, ...).
  std::vector<std::string> hgetall(const std::string& key);
  /// Every key matching `pattern` (SCAN, never KEYS).
  std::vector<std::string> scan(const std::string& pattern);
  /// Deletes every key matching `pattern`; returns how many.
  long long delete_matching(const std::string& pattern);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsdb::test
