#include "redis_ha.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "fault.hpp"
#include "server_process.hpp"
#include "wait.hpp"

namespace opsdb::test {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

RedisHaCluster::RedisHaCluster(int replicas)
    : dir_(::testing::TempDir() + "/redis-ha-" + random_hex(8)) {
  std::filesystem::create_directories(dir_);
  const auto master = free_port();
  data_ports_ = {master};
  for (int i = 0; i < replicas; ++i) {
    auto port = free_port();
    while (std::find(data_ports_.begin(), data_ports_.end(), port) != data_ports_.end()) {
      port = free_port();
    }
    data_ports_.push_back(port);
  }
  for (auto port : data_ports_) {
    const auto dir = dir_ + "/" + std::to_string(port);
    std::filesystem::create_directories(dir);
    std::vector<std::string> argv{"redis-server",
                                  "--port",
                                  std::to_string(port),
                                  "--bind",
                                  "127.0.0.1",
                                  "--dir",
                                  dir,
                                  "--appendonly",
                                  "yes",
                                  "--appendfsync",
                                  "always",
                                  "--save",
                                  "",
                                  "--protected-mode",
                                  "no"};
    if (port != master) {
      argv.insert(argv.end(), {"--replicaof", "127.0.0.1", std::to_string(master)});
    }
    spawn(port, std::move(argv));
  }
  auto synced = wait_until(
      [&] {
        const auto info = cli(master, {"INFO", "replication"});
        std::size_t online = 0;
        for (auto at = info.find("state=online"); at != std::string::npos;
             at = info.find("state=online", at + 1)) {
          ++online;
        }
        return online == data_ports_.size() - 1;
      },
      std::chrono::seconds(20), "the Redis replicas to be in sync", std::chrono::milliseconds(50));
  if (!synced) throw std::runtime_error(synced.message());

  for (int i = 0; i < 3; ++i) {
    std::uint16_t port = free_port();
    const auto dir = dir_ + "/sentinel-" + std::to_string(port);
    std::filesystem::create_directories(dir);
    // Sentinel rewrites its configuration file as it learns the topology.
    const auto conf = dir + "/sentinel.conf";
    std::ofstream(conf) << "port " << port << "\nbind 127.0.0.1\nprotected-mode no\ndir " << dir
                        << "\nsentinel monitor " << kMasterName << " 127.0.0.1 " << master
                        << " 2\nsentinel down-after-milliseconds " << kMasterName
                        << " 1000\nsentinel failover-timeout " << kMasterName
                        << " 10000\nsentinel parallel-syncs " << kMasterName << " 1\n";
    sentinel_ports_.push_back(port);
    spawn(port, {"redis-sentinel", conf});
  }
  // Sentinels find each other through hello messages every 2 s; a failover needs the quorum.
  auto agreed = wait_until(
      [&] {
        for (auto port : sentinel_ports_) {
          if (cli(port, {"SENTINEL", "ckquorum", kMasterName}).rfind("OK 3", 0) != 0) return false;
          const auto known = cli(port, {"SENTINEL", "replicas", kMasterName});
          for (std::size_t i = 1; i < data_ports_.size(); ++i) {
            if (known.find(std::to_string(data_ports_[i])) == std::string::npos) return false;
          }
        }
        return true;
      },
      std::chrono::seconds(30), "the three Sentinels to know each other and the replicas",
      std::chrono::milliseconds(200));
  if (!agreed) throw std::runtime_error(agreed.message());
}

RedisHaCluster::~RedisHaCluster() {
  for (auto& [port, node] : nodes_) {
    if (node.pid <= 0) continue;
    ::kill(node.pid, SIGKILL);
    ::waitpid(node.pid, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisHaCluster::spawn(std::uint16_t port, std::vector<std::string> argv) {
  Node& node = nodes_[port];
  node.argv = argv;
  node.log = dir_ + "/" + std::to_string(port) + ".log";
  std::vector<char*> args;
  for (auto& a : node.argv) args.push_back(a.data());
  args.push_back(nullptr);
  node.pid = fork();
  if (node.pid == 0) {
    // Never outlive the test process, whatever happens to it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(node.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  auto up = wait_until([&] { return cli(port, {"PING"}) == "PONG"; }, std::chrono::seconds(10),
                       node.argv[0] + " to answer", std::chrono::milliseconds(20));
  if (!up) throw std::runtime_error(up.message());
}

std::string RedisHaCluster::sentinels() const {
  std::string out;
  for (auto port : sentinel_ports_) {
    out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(port);
  }
  return out;
}

redis::RedisOptions RedisHaCluster::options() const {
  redis::RedisOptions o;
  for (auto port : sentinel_ports_) o.sentinels.push_back({"127.0.0.1", port});
  o.sentinel_master = kMasterName;
  return o;
}

std::uint16_t RedisHaCluster::master_port() const {
  for (auto port : sentinel_ports_) {
    const auto answer = cli(port, {"SENTINEL", "get-master-addr-by-name", kMasterName});
    const auto newline = answer.find('\n');
    if (newline == std::string::npos) continue;
    try {
      return static_cast<std::uint16_t>(std::stoi(answer.substr(newline + 1)));
    } catch (const std::exception&) {
    }
  }
  return 0;
}

std::uint16_t RedisHaCluster::kill_master() {
  const auto port = master_port();
  auto it = nodes_.find(port);
  if (port == 0 || it == nodes_.end() || it->second.pid <= 0) {
    throw std::runtime_error("no running master to kill");
  }
  ::kill(it->second.pid, SIGKILL);
  ::waitpid(it->second.pid, nullptr, 0);
  it->second.pid = -1;
  return port;
}

void RedisHaCluster::signal(std::uint16_t port, int signal) {
  const auto& node = nodes_.at(port);
  if (node.pid > 0) ::kill(node.pid, signal);
}

void RedisHaCluster::restart(std::uint16_t port) {
  auto argv = nodes_.at(port).argv;
  spawn(port, std::move(argv));
}

std::string RedisHaCluster::cli(std::uint16_t port, const std::vector<std::string>& args) {
  std::string command = "timeout 5 redis-cli -h 127.0.0.1 -p " + std::to_string(port);
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " 2>/dev/null";
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

}  // namespace opsdb::test
