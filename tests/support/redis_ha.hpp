#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "opsdb/redis/redis_client.hpp"

namespace opsdb::test {

/// A highly available Redis on loopback, as an observatory would run it: a master with
/// append-only file, `replicas` replicas, and three Sentinels (quorum 2) that fail over 1 s
/// after the master stops answering. Every server is a child process with a directory of its own
/// under the test's temporary directory; all are killed when the object goes.
class RedisHaCluster {
 public:
  static constexpr const char* kMasterName = "buffer";

  /// Starts everything and waits until the replica is in sync and the Sentinels agree.
  explicit RedisHaCluster(int replicas = 1);
  ~RedisHaCluster();
  RedisHaCluster(const RedisHaCluster&) = delete;
  RedisHaCluster& operator=(const RedisHaCluster&) = delete;

  /// REDIS_SENTINELS for the server: "127.0.0.1:port,...".
  std::string sentinels() const;
  /// Client options that follow the master through the Sentinels.
  redis::RedisOptions options() const;
  /// The port of the master the Sentinels name now (0 if none answers).
  std::uint16_t master_port() const;
  /// SIGKILL of the current master; returns its port.
  std::uint16_t kill_master();
  /// Starts the killed server again on its port and data (it comes back believing it is the
  /// master until the Sentinels turn it into a replica).
  void restart(std::uint16_t port);
  /// The ports of the servers started as replicas.
  std::vector<std::uint16_t> replica_ports() const {
    return {data_ports_.begin() + 1, data_ports_.end()};
  }
  /// Sends `signal` to the server on `port` (SIGSTOP/SIGCONT: a frozen replica).
  void signal(std::uint16_t port, int signal);
  /// One redis-cli command against a server or Sentinel; its output, trimmed.
  static std::string cli(std::uint16_t port, const std::vector<std::string>& args);

 private:
  struct Node {
    pid_t pid = -1;
    std::vector<std::string> argv;
    std::string log;
  };
  void spawn(std::uint16_t port, std::vector<std::string> argv);

  std::string dir_;
  std::vector<std::uint16_t> data_ports_;  // master first, then the replicas (at start)
  std::vector<std::uint16_t> sentinel_ports_;
  std::map<std::uint16_t, Node> nodes_;
};

}  // namespace opsdb::test
