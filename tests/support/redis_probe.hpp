#pragma once

#include <memory>
#include <string>
#include <vector>

#include "opsdb/redis/redis_client.hpp"

namespace opsdb::test {

/// Blocking access to the stack's Redis for assertions in tests (its own io_context thread).
class RedisSync {
 public:
  RedisSync();
  ~RedisSync();

  /// Runs one command and waits for its reply (throws on failure).
  redis::Reply command(std::vector<std::string> args);
  bool exists(const std::string& key) { return command({"EXISTS", key}).integer == 1; }
  /// Deletes every key of a site (`site:{name}:*`).
  void delete_site(const std::string& site_name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsdb::test
