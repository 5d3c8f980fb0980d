#include "opsdb/app/service_notifier.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <system_error>
#include <utility>

namespace opsdb {
namespace {

// Closes the datagram socket of one notification.
class SocketHandle {
 public:
  explicit SocketHandle(int fd) : fd_(fd) {}
  ~SocketHandle() {
    if (fd_ >= 0) ::close(fd_);
  }
  SocketHandle(const SocketHandle&) = delete;
  SocketHandle& operator=(const SocketHandle&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct UnixAddress {
  sockaddr_un address{};
  socklen_t length = 0;
};

// NOTIFY_SOCKET as a socket address: '@' at the start stands for the leading NUL of an abstract
// name, whose length is exactly its bytes (no terminating NUL); a path is NUL-terminated.
std::optional<UnixAddress> unix_address(const std::string& socket) {
  UnixAddress a;
  a.address.sun_family = AF_UNIX;
  const bool abstract = socket.front() == '@';
  // A path needs room for its terminating NUL; an abstract name does not.
  const std::size_t room = sizeof(a.address.sun_path) - (abstract ? 0 : 1);
  if (socket.size() > room) return std::nullopt;
  std::memcpy(a.address.sun_path, socket.data(), socket.size());
  if (abstract) a.address.sun_path[0] = '\0';
  a.length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size() + (abstract ? 0 : 1));
  return a;
}

// STATUS is one line of the message: a newline in it would start a new assignment.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (auto& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

}  // namespace

ServiceNotifier::ServiceNotifier(std::string socket) : socket_(std::move(socket)) {}

ServiceNotifier::ServiceNotifier(ServiceNotifier&& other) noexcept
    : socket_(std::move(other.socket_)), warned_(other.warned_.load()) {}

ServiceNotifier ServiceNotifier::from_environment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return ServiceNotifier(socket ? socket : "");
}

void ServiceNotifier::ready(std::string_view status) noexcept {
  try {
    notify("READY=1\nSTATUS=" + one_line(status));
  } catch (const std::bad_alloc&) {
    warn_once("no memory for the message", ENOMEM);
  }
}

void ServiceNotifier::stopping(std::string_view status) noexcept {
  try {
    notify("STOPPING=1\nSTATUS=" + one_line(status));
  } catch (const std::bad_alloc&) {
    warn_once("no memory for the message", ENOMEM);
  }
}

bool ServiceNotifier::notify(std::string_view message) noexcept {
  if (!enabled()) return false;
  // Only Unix sockets are spoken here (newer managers may also name a vsock address).
  if (socket_.front() != '/' && socket_.front() != '@') {
    warn_once("not a Unix socket address", EAFNOSUPPORT);
    return false;
  }
  const auto address = unix_address(socket_);
  if (!address) {
    warn_once("name too long for a Unix socket", ENAMETOOLONG);
    return false;
  }
  // Non-blocking: a manager that does not read must not stall an io_context thread.
  SocketHandle socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (socket.get() < 0) {
    warn_once("socket() failed", errno);
    return false;
  }
  const auto sent = ::sendto(socket.get(), message.data(), message.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&address->address), address->length);
  if (sent < 0 || static_cast<std::size_t>(sent) != message.size()) {
    warn_once("sending failed", sent < 0 ? errno : EMSGSIZE);
    return false;
  }
  return true;
}

void ServiceNotifier::warn_once(std::string_view what, int error) noexcept {
  const bool first = !warned_.exchange(true);
  try {
    spdlog::log(first ? spdlog::level::warn : spdlog::level::debug,
                "service manager notification to NOTIFY_SOCKET={} failed: {} ({}){}", socket_, what,
                std::error_code(error, std::generic_category()).message(),
                first ? "; later failures are logged at debug level" : "");
  } catch (const std::bad_alloc&) {
    // No memory left even for the message: the server goes on without it, as without the
    // notification.
    return;
  }
}

}  // namespace opsdb
