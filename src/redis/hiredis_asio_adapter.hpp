#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>
#include <memory>

struct redisAsyncContext;

namespace opsdb::redis {

/// Drives one hiredis async context from Asio (hiredis 0.14 ships no Asio adapter).
///
/// hiredis announces through its `ev` hooks when it wants to read or write; each announcement
/// becomes a one-shot async_wait on the context's socket, and readiness is handed back to
/// redisAsyncHandleRead/redisAsyncHandleWrite. All of it runs on the strand that also issues
/// the commands, so hiredis is only ever entered by one thread at a time.
///
/// hiredis owns and closes the socket: the adapter only borrows it and gives it back in
/// hiredis's cleanup hook, which runs whenever the context is freed (by us or by hiredis).
/// A pending wait keeps both the adapter and its owner alive, because the owner's reply
/// callbacks run inside redisAsyncHandleRead.
class HiredisAsioAdapter : public std::enable_shared_from_this<HiredisAsioAdapter> {
 public:
  using Executor = boost::asio::strand<boost::asio::io_context::executor_type>;

  /// `owner` is the object whose callbacks the context invokes; waits keep it alive.
  HiredisAsioAdapter(Executor executor, std::weak_ptr<void> owner);
  ~HiredisAsioAdapter();

  HiredisAsioAdapter(const HiredisAsioAdapter&) = delete;
  HiredisAsioAdapter& operator=(const HiredisAsioAdapter&) = delete;

  /// Registers the context's socket and installs the hooks. Call it before
  /// redisAsyncSetConnectCallback, which already asks for a write event (the first write
  /// readiness is how hiredis learns that the non-blocking connect finished). On failure
  /// nothing is installed.
  boost::system::error_code attach(redisAsyncContext* context);

 private:
  enum class Direction { read, write };

  /// hiredis's wish (`wanted`) and whether an async_wait is outstanding (`waiting`).
  struct Interest {
    bool wanted = false;
    bool waiting = false;
  };

  static void on_add_read(void* self);
  static void on_del_read(void* self);
  static void on_add_write(void* self);
  static void on_del_write(void* self);
  static void on_cleanup(void* self);

  Interest& interest(Direction direction);
  void set_wanted(Direction direction, bool wanted);
  void start_wait(Direction direction);
  void on_ready(Direction direction, const boost::system::error_code& ec);
  void detach();

  redisAsyncContext* context_ = nullptr;
  boost::asio::posix::stream_descriptor descriptor_;
  std::weak_ptr<void> owner_;
  Interest read_;
  Interest write_;
};

}  // namespace opsdb::redis
