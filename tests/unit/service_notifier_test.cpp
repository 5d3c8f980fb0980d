// The sd_notify protocol as systemd receives it: one datagram per notification on the Unix
// socket NOTIFY_SOCKET names, a path or (with '@') an abstract name; nothing at all without it.
#include "opsdb/app/service_notifier.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "support/log_capture.hpp"

namespace opsdb {
namespace {

// The service manager's end: a bound Unix datagram socket. `name` starting with '@' is abstract.
class NotifyReceiver {
 public:
  explicit NotifyReceiver(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name_.data(), name_.size());
    const bool abstract = name_.front() == '@';
    if (abstract) address.sun_path[0] = '\0';
    const auto length = offsetof(sockaddr_un, sun_path) + name_.size() + (abstract ? 0 : 1);
    if (!abstract) ::unlink(name_.c_str());
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address),
                                static_cast<socklen_t>(length)) == 0;
  }
  ~NotifyReceiver() {
    if (fd_ >= 0) ::close(fd_);
    if (name_.front() != '@') ::unlink(name_.c_str());
  }
  NotifyReceiver(const NotifyReceiver&) = delete;
  NotifyReceiver& operator=(const NotifyReceiver&) = delete;

  bool bound() const { return bound_; }

  /// The next datagram, or nothing within `deadline_ms`.
  std::optional<std::string> receive(int deadline_ms = 1000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, deadline_ms) != 1) return std::nullopt;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

// A name no other test process uses at the same time.
std::string unique_name(const char* kind) {
  static std::atomic<int> counter{0};
  return std::string("opsdb-notify-") + kind + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++);
}

// Sets (or unsets) NOTIFY_SOCKET for one test and puts the previous value back after.
class ScopedNotifySocket {
 public:
  explicit ScopedNotifySocket(const char* value) {
    if (const char* old = std::getenv("NOTIFY_SOCKET")) previous_ = old;
    if (value) {
      ::setenv("NOTIFY_SOCKET", value, 1);
    } else {
      ::unsetenv("NOTIFY_SOCKET");
    }
  }
  ~ScopedNotifySocket() {
    if (previous_) {
      ::setenv("NOTIFY_SOCKET", previous_->c_str(), 1);
    } else {
      ::unsetenv("NOTIFY_SOCKET");
    }
  }
  ScopedNotifySocket(const ScopedNotifySocket&) = delete;
  ScopedNotifySocket& operator=(const ScopedNotifySocket&) = delete;

 private:
  std::optional<std::string> previous_;
};

TEST(ServiceNotifier, ReadySendsOneDatagramToAnAbstractSocket) {
  const auto name = "@" + unique_name("abstract");
  NotifyReceiver manager(name);
  ASSERT_TRUE(manager.bound());
  ServiceNotifier notifier(name);
  ASSERT_TRUE(notifier.enabled());

  notifier.ready("listening on 127.0.0.1:8000");

  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=listening on 127.0.0.1:8000");
  EXPECT_EQ(manager.receive(100), std::nullopt) << "one notification, one datagram";
}

TEST(ServiceNotifier, StoppingReachesASocketFileWithTheStatusOnOneLine) {
  const auto path = ::testing::TempDir() + unique_name("path");
  NotifyReceiver manager(path);
  ASSERT_TRUE(manager.bound());
  ServiceNotifier notifier(path);

  // A newline would start an assignment of its own in the message.
  notifier.stopping("draining\nREADY=1");

  EXPECT_EQ(manager.receive(), "STOPPING=1\nSTATUS=draining READY=1");
}

TEST(ServiceNotifier, UnsetVariableMakesEveryCallANoOp) {
  const ScopedNotifySocket unset(nullptr);
  test::LogCapture log;
  auto notifier = ServiceNotifier::from_environment();

  EXPECT_FALSE(notifier.enabled());
  notifier.ready("listening");
  notifier.stopping("stopping");
  EXPECT_FALSE(notifier.notify("READY=1"));
  EXPECT_TRUE(log.lines().empty()) << "no service manager is not an error";
}

TEST(ServiceNotifier, FromEnvironmentUsesTheManagersSocket) {
  const auto name = "@" + unique_name("environment");
  NotifyReceiver manager(name);
  ASSERT_TRUE(manager.bound());
  std::optional<ServiceNotifier> notifier;
  {
    const ScopedNotifySocket set(name.c_str());
    notifier.emplace(ServiceNotifier::from_environment());
  }
  // Read once at start: the variable changing later changes nothing.
  notifier->ready("up");
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=up");
}

TEST(ServiceNotifier, FailuresNeverThrowAndWarnOnce) {
  test::LogCapture log;
  ServiceNotifier notifier(::testing::TempDir() + unique_name("nobody-listens"));

  EXPECT_NO_THROW(notifier.ready("listening"));
  EXPECT_FALSE(notifier.notify("STATUS=still here"));
  EXPECT_NO_THROW(notifier.stopping("stopping"));

  EXPECT_EQ(log.count("NOTIFY_SOCKET"), 3u);
  EXPECT_EQ(log.count("warn"), 1u) << "the first failure is a warning, the rest are debug";
}

TEST(ServiceNotifier, RefusesAddressesItCannotReach) {
  test::LogCapture log;
  EXPECT_FALSE(ServiceNotifier("vsock:2:1234").notify("READY=1"));
  EXPECT_FALSE(ServiceNotifier("/" + std::string(200, 'x')).notify("READY=1"));
  EXPECT_EQ(log.count("warn"), 2u);
}

}  // namespace
}  // namespace opsdb
