#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace opsdb::test {

/// The real ops-db-api binary as a child process on a free port, for black-box tests: started
/// with the stack's environment plus overrides, waited for until `/health` answers. A sanitizer
/// report in its log (sanitizer builds) fails the test once the process is stopped, killed or
/// destroyed.
class ServerProcess {
 public:
  explicit ServerProcess(std::map<std::string, std::string> env_overrides = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  /// SIGTERM and wait; returns the exit status (or -1 if it had to be killed).
  int stop();
  /// SIGKILL and wait: a crash.
  void kill();
  /// Starts again with the same environment and port.
  void restart();
  bool running() const { return pid_ > 0; }
  /// The captured stderr/stdout of the process so far.
  std::string log() const;

 private:
  void start();
  /// Adds a test failure for a sanitizer report in the part of the log not checked before.
  void expect_no_sanitizer_report();

  std::map<std::string, std::string> env_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;
  std::size_t checked_log_size_ = 0;
};

/// A port nobody listens on right now.
std::uint16_t free_port();

}  // namespace opsdb::test
