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
#include "wait.hpp"

namespace opsdb::test {

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

ServerProcess::ServerProcess(std::map<std::string, std::string> env_overrides)
    : env_(stack_environment()), port_(free_port()) {
  // The schema, and the token the tests' requests carry.
  prepare_database();
  for (auto& [k, v] : env_overrides) env_[k] = v;
  env_["HTTP_PORT"] = std::to_string(port_);
  env_["HTTP_ADDRESS"] = "127.0.0.1";
  if (!env_.count("LOG_LEVEL")) env_["LOG_LEVEL"] = "info";
  log_path_ = ::testing::TempDir() + "/ops-db-api-" + std::to_string(port_) + ".log";
  std::remove(log_path_.c_str());
  // A journal of its own, kept across restart() as a real server's is across restarts.
  if (!env_.count("JOURNAL_PATH")) {
    env_["JOURNAL_PATH"] = ::testing::TempDir() + "/ops-db-api-" + std::to_string(port_) + ".journal";
    std::remove(env_["JOURNAL_PATH"].c_str());
  }
  start();
}

ServerProcess::~ServerProcess() {
  if (running()) kill();
  expect_no_sanitizer_report();
}

void ServerProcess::expect_no_sanitizer_report() {
  // The markers every sanitizer report carries ("ERROR: AddressSanitizer: ...", "WARNING:
  // ThreadSanitizer: ...", "SUMMARY: UndefinedBehaviorSanitizer: ..." or, from UBSan alone,
  // "file:line:col: runtime error: ..."). A report in the server can happen where the test does
  // not look (a background loop, the shutdown); this makes it the test's failure.
  const std::string text = log();
  if (text.size() <= checked_log_size_) return;
  const std::string unchecked = text.substr(checked_log_size_);
  checked_log_size_ = text.size();
  if (unchecked.find("Sanitizer:") == std::string::npos &&
      unchecked.find(": runtime error: ") == std::string::npos) {
    return;
  }
  ADD_FAILURE() << "sanitizer report in the ops-db-api log (" << log_path_ << "):\n" << unchecked;
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
  bool exited = false;
  auto answered = wait_until(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) return exited = true;
        try {
          return http_request(port_, "GET", "/health", {}, {}, 1000).status > 0;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20), "ops-db-api to answer on /health", std::chrono::milliseconds(50));
  if (exited) {
    pid_ = -1;
    FAIL() << "ops-db-api exited during start:\n" << log();
  }
  if (!answered) FAIL() << answered.message() << ":\n" << log();
}

int ServerProcess::stop() {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  const bool exited = wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; },
                                 std::chrono::seconds(30), "ops-db-api to exit after SIGTERM");
  if (!exited) {
    kill();
    return -1;
  }
  pid_ = -1;
  expect_no_sanitizer_report();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ServerProcess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  expect_no_sanitizer_report();
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
