// Under systemd (Type=notify) the server says READY=1 once it answers HTTP, and STOPPING=1 when
// a SIGTERM starts its graceful shutdown. The test plays the service manager: it binds the
// datagram socket, starts the real binary with NOTIFY_SOCKET naming it, and watches what
// arrives and when.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/stack.hpp"
#include "support/wait.hpp"

namespace opsdb::test {
namespace {

using namespace std::chrono_literals;

// The service manager's end of NOTIFY_SOCKET: a Unix datagram socket bound to a file.
class NotifyReceiver {
 public:
  explicit NotifyReceiver(std::string path) : path_(std::move(path)) {
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifyReceiver() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  NotifyReceiver(const NotifyReceiver&) = delete;
  NotifyReceiver& operator=(const NotifyReceiver&) = delete;

  bool bound() const { return bound_; }

  /// The next datagram, or nothing within `deadline`.
  std::optional<std::string> receive(std::chrono::milliseconds deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline.count())) != 1) return std::nullopt;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

// The binary started the way a service manager starts it: no waiting for /health (that is
// what READY=1 is for), unlike ServerProcess, which polls /health before returning.
class ManagedServer {
 public:
  ManagedServer(const std::map<std::string, std::string>& env, std::string log_path)
      : log_path_(std::move(log_path)) {
    std::vector<std::string> strings;
    for (const auto& [k, v] : env) strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    const std::string binary = server_binary();
    std::remove(log_path_.c_str());
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      if (::chdir("/") != 0) ::_exit(127);
      char* argv[] = {const_cast<char*>(binary.c_str()), const_cast<char*>("serve"), nullptr};
      ::execve(binary.c_str(), argv, envp.data());
      ::_exit(127);
    }
  }
  ~ManagedServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ManagedServer(const ManagedServer&) = delete;
  ManagedServer& operator=(const ManagedServer&) = delete;

  void terminate() { ::kill(pid_, SIGTERM); }

  /// The exit status once it has exited within `deadline`; nothing otherwise.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline) {
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, deadline,
                    "ops-db-api to exit")) {
      return std::nullopt;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
};

TEST(ServiceNotifyTest, ReadyWhenHealthAnswersAndStoppingOnSigterm) {
  prepare_database();
  const auto port = free_port();
  const auto name = "ops-db-api-notify-" + std::to_string(port);
  NotifyReceiver manager(::testing::TempDir() + name + ".sock");
  ASSERT_TRUE(manager.bound());

  auto env = stack_environment();
  env["NOTIFY_SOCKET"] = ::testing::TempDir() + name + ".sock";
  env["HTTP_ADDRESS"] = "127.0.0.1";
  env["HTTP_PORT"] = std::to_string(port);
  env["LOG_LEVEL"] = "info";
  env["JOURNAL_PATH"] = ::testing::TempDir() + name + ".journal";
  std::remove(env["JOURNAL_PATH"].c_str());
  ManagedServer server(env, ::testing::TempDir() + name + ".log");

  const auto ready = manager.receive(30s);
  ASSERT_TRUE(ready) << "no READY=1 within 30 s:\n" << server.log();
  EXPECT_EQ(*ready, "READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(port));
  // What READY=1 promises: a request made right now is answered (dependents started after it
  // need not poll).
  const auto health = http_request(port, "GET", "/health", {}, {}, 5000);
  EXPECT_TRUE(health.status == 200 || health.status == 503)
      << "GET /health right after READY=1 answered " << health.status << ":\n"
      << server.log();

  server.terminate();
  const auto stopping = manager.receive(10s);
  ASSERT_TRUE(stopping) << "no STOPPING=1 within 10 s of SIGTERM:\n" << server.log();
  EXPECT_EQ(stopping->rfind("STOPPING=1\n", 0), 0u) << *stopping;
  EXPECT_EQ(server.wait_exit(30s), 0) << server.log();
  EXPECT_EQ(manager.receive(100ms), std::nullopt) << "nothing after STOPPING=1";

  const auto log = server.log();
  EXPECT_EQ(log.find("NOTIFY_SOCKET"), std::string::npos) << "no notification failed:\n" << log;
  EXPECT_EQ(log.find("Sanitizer:"), std::string::npos) << log;
  EXPECT_EQ(log.find(": runtime error: "), std::string::npos) << log;
}

}  // namespace
}  // namespace opsdb::test
