#include "server_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "http_client.hpp"
#include "stack.hpp"

namespace opsdb::test {

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

ServerProcess::ServerProcess(std::map<std::string, std::string> env_overrides)
    : env_(stack_environment()), port_(free_port()) {
  for (auto& [k, v] : env_overrides) env_[k] = v;
  env_["HTTP_PORT"] = std::to_string(port_);
  env_["HTTP_ADDRESS"] = "127.0.0.1";
  if (!env_.count("LOG_LEVEL")) env_["LOG_LEVEL"] = "info";
  log_path_ = ::testing::TempDir() + "/ops-db-api-" + std::to_string(port_) + ".log";
  std::remove(log_path_.c_str());
  start();
}

ServerProcess::~ServerProcess() {
  if (running()) kill();
}

void ServerProcess::start() {
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const std::string binary = server_binary();
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    // Run outside the source tree so no developer .env leaks into the test.
    if (chdir("/") != 0) _exit(127);
    char* argv[] = {const_cast<char*>(binary.c_str()), const_cast<char*>("serve"), nullptr};
    execve(binary.c_str(), argv, envp.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "ops-db-api exited during start:\n" << log();
    }
    try {
      if (http_request(port_, "GET", "/health", {}, {}, 1000).status > 0) return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "ops-db-api did not answer within 20 s:\n" << log();
}

int ServerProcess::stop() {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill();
  return -1;
}

void ServerProcess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void ServerProcess::restart() {
  if (running()) kill();
  start();
}

std::string ServerProcess::log() const {
  std::ifstream f(log_path_);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace opsdb::test
