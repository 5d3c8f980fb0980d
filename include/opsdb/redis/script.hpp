#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "opsdb/redis/redis_client.hpp"

namespace opsdb::redis {

/// A Lua script run on one Redis client by its SHA1 (EVALSHA), loaded with SCRIPT LOAD before
/// its first run. Redis forgets loaded scripts when it restarts or on SCRIPT FLUSH: a run
/// answered NOSCRIPT loads the script again and is sent once more. That is safe because
/// NOSCRIPT means nothing of the script ran.
class Script {
 public:
  /// The client must outlive the script and every run's callback.
  Script(RedisClient& client, std::string source);

  /// Runs the script with `keys` as KEYS and `args` as ARGV; `done` gets its reply.
  void run(std::vector<std::string> keys, std::vector<std::string> args,
           RedisClient::Callback done);

 private:
  struct Call;
  void load(std::shared_ptr<Call> call);
  void evalsha(std::string sha, std::shared_ptr<Call> call, bool reload_on_noscript);
  std::string sha() const;

  RedisClient& client_;
  std::string source_;
  mutable std::mutex mutex_;
  std::string sha_;  // empty until loaded
};

}  // namespace opsdb::redis
