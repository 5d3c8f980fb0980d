#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hiredis_asio_adapter.hpp"
#include "opsdb/redis/redis_client.hpp"

struct redisAsyncContext;
struct redisReply;

namespace opsdb::redis {

/// The connection state machine behind RedisClient. Public methods may be called from any
/// thread; everything else runs on `strand_`, including every call into hiredis and every
/// callback hiredis makes, so the members below the atomic need no lock.
///
/// Life of a connection: resolve (only for host names) → non-blocking connect → handshake
/// (AUTH/SELECT, or PING) → ready. The connect deadline covers all three. A ready connection
/// pipelines commands. One timer watches both the deadline of the oldest command not yet
/// completed (deadlines are issued in order with one timeout, so it expires first) and the
/// stall limit of the oldest reply on the wire. A timed-out command stays in `pending_`,
/// completed, until its late reply arrives, so that replies keep matching their commands.
class RedisClient::Impl : public std::enable_shared_from_this<RedisClient::Impl> {
 public:
  using Clock = std::chrono::steady_clock;

  Impl(boost::asio::io_context& io, RedisOptions options);
  ~Impl();

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void start();
  void stop();
  bool connected() const { return connected_.load(std::memory_order_acquire); }
  void command(std::vector<std::string> args, Callback callback);
  void transaction(std::vector<std::vector<std::string>> commands, Callback callback);
  void pipeline(std::vector<std::vector<std::string>> commands, Callback callback);

 private:
  enum class State { idle, connecting, handshaking, ready, backoff };
  enum class Kind { command, transaction, pipeline, handshake };

  /// One command or MULTI..EXEC group on the wire. hiredis gets a pointer to it as the
  /// privdata of each of its `replies_left` commands; std::deque keeps that pointer stable.
  struct Pending {
    Kind kind = Kind::command;
    Callback callback;
    Clock::time_point deadline;
    int replies_left = 0;
    bool completed = false;      // the callback ran; replies may still be due (a timeout)
    std::string queue_error;     // first error reply to MULTI/a queued command/the handshake
    std::vector<Reply> replies;  // a pipeline's replies so far
  };

  // hiredis callbacks (C function pointers); `data` of the context is the Impl.
  static void reply_callback(redisAsyncContext* context, void* reply, void* privdata);
  static void connect_callback(const redisAsyncContext* context, int status);
  static void disconnect_callback(const redisAsyncContext* context, int status);

  void fail_later(Callback callback, RedisErrc error, std::string message);
  // Checks a command or transaction, fails it fast when disconnected, else hands it to the
  // strand.
  void accept(Kind kind, std::vector<std::vector<std::string>> commands, Callback callback);
  void submit(Kind kind, std::span<const std::vector<std::string>> commands, Callback callback,
              Clock::time_point deadline);
  void enqueue(Kind kind, std::span<const std::vector<std::string>> commands, Callback callback,
               Clock::time_point deadline);
  bool append(Pending& pending, const std::vector<std::string>& args);
  void on_reply(redisAsyncContext* context, const redisReply* reply, Pending& pending);
  Result final_result(const Pending& pending, const redisReply& reply) const;
  void complete(Pending& pending, Result result);

  void do_start();
  void do_stop();
  void begin_attempt();
  void resolve_and_connect();
  // Sentinel mode: asks every Sentinel for the master; `check` compares the answer with the
  // connected master instead of connecting.
  void ask_sentinels(bool check);
  void on_sentinel_answer(std::uint64_t round, bool check, const Result& result);
  void arm_sentinel_check();
  bool is_master(const Result& role) const;
  bool sentinel_mode() const { return !options_.sentinels.empty(); }
  void connect_next();
  void address_failed(const std::string& reason);
  void on_connected(const redisAsyncContext* context, int status);
  void on_disconnected(const redisAsyncContext* context);
  void send_handshake();
  void on_handshake_done(std::uint64_t generation, const Result& result);
  void on_connect_timeout(std::uint64_t generation);
  void attempt_failed(const std::string& reason);
  void connection_lost(const std::string& reason);
  void schedule_reconnect(std::chrono::milliseconds delay);
  void close_context(const std::string& reason);
  void arm_deadline_timer();
  void check_deadlines();

  boost::asio::io_context& io_;
  const RedisOptions options_;
  const std::chrono::milliseconds reconnect_max_;
  // The server of the current attempt or connection: options_.host/port, or the master a
  // Sentinel named.
  std::string host_;
  std::uint16_t port_ = 0;
  std::string endpoint_;  // "host:port/db" for log lines; never the password
  HiredisAsioAdapter::Executor strand_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer deadline_timer_;
  std::vector<std::unique_ptr<RedisClient>> sentinels_;
  boost::asio::steady_timer sentinel_timer_;
  // Answers of the Sentinels still due in the current round, and whether one was used.
  std::uint64_t sentinel_round_ = 0;  // bumped per round; answers of earlier ones are dropped
  std::size_t sentinel_answers_due_ = 0;
  bool sentinel_answered_ = false;
  std::string sentinel_error_;
  std::atomic<bool> connected_{false};

  bool running_ = false;
  State state_ = State::idle;
  std::uint64_t generation_ = 0;  // bumped per connection attempt; stale handlers compare it
  redisAsyncContext* context_ = nullptr;
  std::shared_ptr<HiredisAsioAdapter> adapter_;
  std::vector<std::string> addresses_;  // candidates of the current attempt
  std::size_t next_address_ = 0;
  std::deque<Pending> pending_;
  // How many entries at the front of pending_ are completed (mostly timed out) and only wait
  // for their replies, so that the deadline check need not walk them again.
  std::size_t completed_front_ = 0;
  bool deadline_armed_ = false;
  bool replies_late_ = false;  // a timeout was logged and no reply came in time since
  int failed_attempts_ = 0;    // since the last ready connection
  std::chrono::milliseconds backoff_;
  std::string close_reason_;  // why we are freeing the context, for the failed commands
  std::vector<const char*> argv_;
  std::vector<std::size_t> argv_len_;
};

}  // namespace opsdb::redis
