#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace opsdb::redis {

/// A Redis server or Sentinel.
struct RedisAddress {
  std::string host;
  std::uint16_t port = 0;
};

/// Where and how to reach Redis. `password` is sent with AUTH and never logged.
struct RedisOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  /// Redis Sentinels to ask for the current master of `sentinel_master`. When not empty,
  /// `host`/`port` are not used: each connection attempt asks every Sentinel and connects to
  /// the first address one names, provided that server says it is a master (ROLE); a connected
  /// client asks again every `sentinel_check_interval` and moves when the master moved.
  std::vector<RedisAddress> sentinels;
  std::string sentinel_master;
  /// Also the longest backoff between connection attempts when Sentinels are used, so a
  /// failover is followed within about this long once the Sentinels have promoted a replica.
  std::chrono::milliseconds sentinel_check_interval{1'000};
  int db = 0;
  std::string password;
  /// Deadline of every command, counted from the call to command()/transaction().
  std::chrono::milliseconds command_timeout{1'000};
  /// How long past its deadline the oldest reply on the wire may be missing before the
  /// connection is declared dead (a blackholed network, a frozen server), closed and
  /// re-established. Shorter stalls only time out the commands whose deadlines pass.
  std::chrono::milliseconds stall_limit{10'000};
  /// Limit on commands and transactions waiting for their replies, counting timed-out ones
  /// whose late replies are still due. While it is reached new ones fail at once, unsent.
  std::size_t max_pending = 100'000;
  /// Deadline of one connection attempt: name resolution, TCP connect, AUTH/SELECT.
  std::chrono::milliseconds connect_timeout{1'000};
  /// Delay before a retry after a failed attempt; doubles per failure up to `reconnect_max`.
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5'000};
  /// Called on the client's thread each time a connection is ready (the first one and every
  /// reconnect), so that whoever reports on Redis need not wait for its next look. Must be quick.
  std::function<void()> on_connected{};
};

/// One Redis reply, copied out of hiredis (a plain value: safe to keep and move anywhere).
struct Reply {
  enum class Type { nil, string, status, error, integer, array };

  Type type = Type::nil;
  std::string str;        ///< payload of string, status and error replies (binary safe)
  long long integer = 0;  ///< payload of integer replies
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
};

/// Why a command did not produce a usable reply.
enum class RedisErrc {
  ok,
  timeout,  ///< no reply within `command_timeout`; the connection stays (see RedisClient)
  /// Not connected (fail fast), connection lost, client stopped, or too many commands waiting
  /// for replies (`max_pending`; not sent).
  disconnected,
  reply_error,  ///< Redis answered with an error reply (message holds it)
};

/// Stable lower-case name of an error ("ok", "timeout", ...).
std::string_view to_string(RedisErrc errc);

/// The outcome of one command or transaction.
struct Result {
  RedisErrc error = RedisErrc::ok;
  std::string message;  ///< human-readable reason when `error != ok`
  Reply reply;          ///< the reply when one arrived (also for `reply_error`)
  /// A failure after the command was handed to the connection (a timeout, a connection lost
  /// while waiting for the reply): Redis may have run it. False when it was never sent.
  bool may_have_run = false;

  bool ok() const { return error == RedisErrc::ok; }
};

/// An asynchronous, pipelining, self-reconnecting Redis client driven by an Asio io_context.
///
/// Every public method is thread-safe and never blocks: work is handed to one strand on which
/// all hiredis calls happen. Each callback runs exactly once, on an io_context thread and never
/// inside command(): with the reply, or with `timeout`/`disconnected`. Replies are delivered on
/// the client's strand, so keep callbacks short and post heavier work elsewhere (a callback
/// holds up every reply behind it); a callback may issue further commands.
///
/// Commands issued while not connected fail at once with `disconnected`; nothing is queued.
/// So do commands issued while `max_pending` others wait for their replies.
/// A command that misses its deadline fails with `timeout`; the commands pipelined behind it
/// keep their own deadlines and succeed if Redis answers them in time. Its late reply, which
/// still comes first because replies on a connection are strictly ordered, is discarded. Only
/// when the oldest reply is overdue by more than `stall_limit` is the connection taken for
/// dead: it is closed (the other outstanding commands fail with `disconnected`) and
/// re-established with backoff.
///
/// Not supported on this client: pub/sub (SUBSCRIBE...) and MONITOR, which change the reply
/// protocol of the connection, and long blocking commands (BLPOP...), which stall the pipeline.
/// WAIT with a timeout well below `command_timeout` is fine: it holds up the commands behind it
/// only until the replicas answered or that timeout passed.
class RedisClient {
 public:
  using Callback = std::function<void(Result)>;

  /// The io_context must outlive the client; run it on any number of threads.
  RedisClient(boost::asio::io_context& io, RedisOptions options);
  /// Stops the client; outstanding callbacks still complete (with `disconnected`) on the
  /// io_context.
  ~RedisClient();

  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// Connects in the background and keeps reconnecting (exponential backoff) until stop().
  void start();
  /// Closes the connection; outstanding commands complete with `disconnected`.
  void stop();
  /// True while a connection is established and authenticated (commands can be sent).
  bool connected() const;

  /// Sends one command; arguments are binary safe. Many commands may be in flight at once.
  void command(std::vector<std::string> args, Callback callback);

  /// Sends MULTI, the commands and EXEC back to back in one write. The callback gets EXEC's
  /// array reply. It gets `reply_error` if any part was rejected (the transaction then did not
  /// run) or if an element of EXEC's array is an error (the other commands did run; `reply`
  /// still holds the array).
  void transaction(std::vector<std::vector<std::string>> commands, Callback callback);

  /// Sends the commands back to back in one write, without MULTI/EXEC: each runs on its own
  /// (other clients' commands may run between them). The callback gets the array of their
  /// replies, as `transaction` does, and `reply_error` if one of them is an error. For reads,
  /// and deletes that need no atomicity: Redis at its maxmemory refuses every command queued
  /// in a MULTI, reads and deletes included, but runs them on their own.
  void pipeline(std::vector<std::vector<std::string>> commands, Callback callback);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace opsdb::redis
