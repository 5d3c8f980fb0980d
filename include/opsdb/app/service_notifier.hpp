#pragma once

#include <atomic>
#include <string>
#include <string_view>

namespace opsdb {

/// Tells the service manager (systemd, `Type=notify`) how the server is doing, in the sd_notify
/// protocol spoken directly: one datagram of `KEY=value` lines to the Unix socket named by
/// NOTIFY_SOCKET. No libsystemd is needed, and without a socket every call does nothing.
///
/// NOTIFY_SOCKET belongs to the service manager, not to the operator, so it is not a key of
/// `Config`: the caller reads it once at start (`from_environment`) and nothing reads it later.
/// Sending never blocks (a full socket drops the message) and never throws; the first failure
/// is logged at warn, later ones at debug only, so a missing manager cannot flood the log.
class ServiceNotifier {
 public:
  /// `socket` as the service manager gives it: a file system path, or a name in the abstract
  /// namespace when it starts with '@'. Empty: no service manager; every call is a no-op.
  explicit ServiceNotifier(std::string socket);

  /// A notifier for the NOTIFY_SOCKET of this process's environment (unset: a no-op one).
  /// Meant to be called once, at start.
  static ServiceNotifier from_environment();

  ServiceNotifier(ServiceNotifier&& other) noexcept;
  ServiceNotifier& operator=(ServiceNotifier&&) = delete;
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  /// Whether a service manager listens (NOTIFY_SOCKET was set).
  bool enabled() const { return !socket_.empty(); }

  /// `READY=1` and `STATUS=status`: start-up is complete, the server accepts connections.
  void ready(std::string_view status) noexcept;
  /// `STOPPING=1` and `STATUS=status`: graceful shutdown has begun.
  void stopping(std::string_view status) noexcept;
  /// Sends `message` (newline-separated assignments) as one datagram. Returns whether it was
  /// sent; false for a disabled notifier.
  bool notify(std::string_view message) noexcept;

 private:
  void warn_once(std::string_view what, int error) noexcept;

  std::string socket_;
  std::atomic<bool> warned_{false};
};

}  // namespace opsdb
