#include "redis_client_impl.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <cassert>
#include <cctype>
#include <charconv>
#include <exception>
#include <optional>
#include <string_view>
#include <utility>

#include "reply_conversion.hpp"

namespace opsdb::redis {

namespace {

constexpr std::string_view kNotConnected = "not connected to redis";

const std::vector<std::string> kMulti{"MULTI"};
const std::vector<std::string> kExec{"EXEC"};

Result make_result(RedisErrc error, std::string message) {
  Result result;
  result.error = error;
  result.message = std::move(message);
  return result;
}

/// Runs a caller's callback. It runs inside a hiredis callback, so nothing may propagate
/// through hiredis's C frames: an exception is logged and the other replies go on.
void run_callback(const RedisClient::Callback& callback, Result result) {
  if (!callback) {
    return;
  }
  try {
    callback(std::move(result));
  } catch (const std::exception& e) {
    spdlog::error("redis: a command callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("redis: a command callback threw a non-standard exception");
  }
}

/// Commands that would switch the connection to another reply protocol (pub/sub, MONITOR);
/// hiredis would then route replies differently and the pipeline would fall out of step.
std::optional<std::string> check_command(const std::vector<std::string>& args) {
  if (args.empty() || args.front().empty()) {
    return "empty command";
  }
  static constexpr std::array<std::string_view, 7> kUnsupported{
      "subscribe",    "psubscribe",   "ssubscribe", "unsubscribe",
      "punsubscribe", "sunsubscribe", "monitor"};
  std::string name = args.front();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(kUnsupported.begin(), kUnsupported.end(), name) != kUnsupported.end()) {
    return name + " is not supported by RedisClient";
  }
  return std::nullopt;
}

std::string describe(const std::string& host, std::uint16_t port, int db) {
  return host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

}  // namespace

RedisClient::Impl::Impl(boost::asio::io_context& io, RedisOptions options)
    : io_(io),
      options_(std::move(options)),
      reconnect_max_(options_.sentinels.empty()
                         ? options_.reconnect_max
                         : std::min(options_.reconnect_max, options_.sentinel_check_interval)),
      host_(options_.host),
      port_(options_.port),
      endpoint_(options_.sentinels.empty() ? describe(host_, port_, options_.db)
                                           : "master '" + options_.sentinel_master + "'"),
      strand_(boost::asio::make_strand(io)),
      resolver_(strand_),
      connect_timer_(strand_),
      reconnect_timer_(strand_),
      deadline_timer_(strand_),
      sentinel_timer_(strand_),
      backoff_(options_.reconnect_min) {}

RedisClient::Impl::~Impl() {
  // Only reached when no handler holds this object any more, so nothing else runs on the
  // strand. Normally stop() already closed the connection; if the io_context was torn down
  // first, close it here so that every outstanding callback still completes once.
  running_ = false;
  close_context("client destroyed");
}

void RedisClient::Impl::start() {
  boost::asio::post(strand_, [self = shared_from_this()] { self->do_start(); });
}

void RedisClient::Impl::stop() {
  // Callers that check connected() right after stop() must see false.
  connected_.store(false, std::memory_order_release);
  boost::asio::post(strand_, [self = shared_from_this()] { self->do_stop(); });
}

void RedisClient::Impl::command(std::vector<std::string> args, Callback callback) {
  std::vector<std::vector<std::string>> commands;
  commands.push_back(std::move(args));
  accept(Kind::command, std::move(commands), std::move(callback));
}

void RedisClient::Impl::transaction(std::vector<std::vector<std::string>> commands,
                                    Callback callback) {
  accept(Kind::transaction, std::move(commands), std::move(callback));
}

void RedisClient::Impl::pipeline(std::vector<std::vector<std::string>> commands,
                                 Callback callback) {
  accept(Kind::pipeline, std::move(commands), std::move(callback));
}

void RedisClient::Impl::accept(Kind kind, std::vector<std::vector<std::string>> commands,
                               Callback callback) {
  const auto deadline = Clock::now() + options_.command_timeout;
  if (commands.empty()) {
    fail_later(std::move(callback), RedisErrc::reply_error,
               kind == Kind::pipeline ? "empty pipeline" : "empty transaction");
    return;
  }
  for (const auto& args : commands) {
    if (auto problem = check_command(args)) {
      fail_later(std::move(callback), RedisErrc::reply_error, std::move(*problem));
      return;
    }
  }
  // Fail fast without a trip through the strand; submit() checks again there.
  if (!connected()) {
    fail_later(std::move(callback), RedisErrc::disconnected, std::string(kNotConnected));
    return;
  }
  boost::asio::post(strand_, [self = shared_from_this(), kind, commands = std::move(commands),
                              callback = std::move(callback), deadline]() mutable {
    self->submit(kind, commands, std::move(callback), deadline);
  });
}

void RedisClient::Impl::fail_later(Callback callback, RedisErrc error, std::string message) {
  // Never complete inside command(): the caller may hold locks or expect to return first.
  boost::asio::post(io_, [callback = std::move(callback),
                          result = make_result(error, std::move(message))]() mutable {
    run_callback(callback, std::move(result));
  });
}

void RedisClient::Impl::submit(Kind kind, std::span<const std::vector<std::string>> commands,
                               Callback callback, Clock::time_point deadline) {
  if (state_ != State::ready) {
    run_callback(callback, make_result(RedisErrc::disconnected, std::string(kNotConnected)));
    return;
  }
  if (pending_.size() >= options_.max_pending) {
    // Redis is not keeping up (or not answering): queueing more would only grow memory and
    // delay every reply behind. Refused unsent, so the caller can safely try again later.
    run_callback(callback,
                 make_result(RedisErrc::disconnected,
                             "the client's queue is full (" + std::to_string(options_.max_pending) +
                                 " commands waiting for replies); not sent"));
    return;
  }
  if (Clock::now() >= deadline) {
    // Nothing was sent, so the connection is not to blame: no reconnect.
    run_callback(callback,
                 make_result(RedisErrc::timeout, "deadline passed before the command was sent"));
    return;
  }
  enqueue(kind, commands, std::move(callback), deadline);
}

void RedisClient::Impl::enqueue(Kind kind, std::span<const std::vector<std::string>> commands,
                                Callback callback, Clock::time_point deadline) {
  Pending& pending = pending_.emplace_back();
  pending.kind = kind;
  pending.callback = std::move(callback);
  pending.deadline = deadline;
  // hiredis only appends to its output buffer here; the socket is written once it is
  // writable, so everything queued until then leaves in one write (pipelining).
  bool queued = kind != Kind::transaction || append(pending, kMulti);
  for (const auto& args : commands) {
    queued = queued && append(pending, args);
  }
  if (kind == Kind::transaction) {
    queued = queued && append(pending, kExec);
  }
  if (!queued) {
    // hiredis refuses commands only on a context that is going away, which context_ never
    // is; handled anyway so that the callback still runs exactly once.
    complete(pending, make_result(RedisErrc::disconnected, "could not queue the command"));
    if (pending.replies_left == 0) {
      pending_.pop_back();
    } else {
      // Part of a group is on the wire: the connection can no longer be trusted.
      boost::asio::post(strand_, [weak = weak_from_this(), generation = generation_] {
        auto self = weak.lock();
        if (self && generation == self->generation_ && self->state_ == State::ready) {
          self->close_context("a command could not be queued");
          self->connection_lost("a command could not be queued");
        }
      });
    }
  }
  arm_deadline_timer();
}

bool RedisClient::Impl::append(Pending& pending, const std::vector<std::string>& args) {
  argv_.clear();
  argv_len_.clear();
  for (const auto& arg : args) {
    argv_.push_back(arg.data());
    argv_len_.push_back(arg.size());
  }
  if (redisAsyncCommandArgv(context_, &Impl::reply_callback, &pending,
                            static_cast<int>(argv_.size()), argv_.data(),
                            argv_len_.data()) != REDIS_OK) {
    return false;
  }
  ++pending.replies_left;
  return true;
}

void RedisClient::Impl::reply_callback(redisAsyncContext* context, void* reply, void* privdata) {
  static_cast<Impl*>(context->data)
      ->on_reply(context, static_cast<const redisReply*>(reply), *static_cast<Pending*>(privdata));
}

void RedisClient::Impl::on_reply(redisAsyncContext* context, const redisReply* reply,
                                 Pending& pending) {
  --pending.replies_left;
  if (!pending.completed) {
    if (reply == nullptr) {
      // hiredis is failing everything outstanding because the context is being freed. Whoever
      // sees this failure must already see connected() == false.
      connected_.store(false, std::memory_order_release);
      std::string reason = context->c.err != 0 ? context->c.errstr : close_reason_;
      auto lost = make_result(RedisErrc::disconnected, std::move(reason));
      lost.may_have_run = true;
      complete(pending, std::move(lost));
    } else if (pending.kind == Kind::pipeline) {
      pending.replies.push_back(to_reply(*reply));
      if (pending.replies_left == 0) {
        Reply all;
        all.type = Reply::Type::array;
        all.elements = std::move(pending.replies);
        complete(pending, array_result(std::move(all)));
      }
    } else if (pending.replies_left > 0) {
      if (reply->type == REDIS_REPLY_ERROR && pending.queue_error.empty()) {
        pending.queue_error.assign(reply->str, reply->len);
      }
    } else {
      replies_late_ = false;
      complete(pending, final_result(pending, *reply));
    }
  }
  // A reply to a completed entry (a timed-out command answered late) is dropped here: it only
  // keeps the replies in step with their commands.
  if (pending.replies_left == 0) {
    // Replies come in the order the commands were sent, so a finished entry is the oldest.
    assert(&pending_.front() == &pending);
    pending_.pop_front();
    if (completed_front_ > 0) {
      --completed_front_;
    }
  }
}

Result RedisClient::Impl::final_result(const Pending& pending, const redisReply& reply) const {
  switch (pending.kind) {
    case Kind::transaction:
      return exec_result(reply, pending.queue_error);
    case Kind::handshake:
      if (!pending.queue_error.empty()) {
        return make_result(RedisErrc::reply_error, pending.queue_error);
      }
      return command_result(reply);
    case Kind::command:
    case Kind::pipeline:  // completed in on_reply
      break;
  }
  return command_result(reply);
}

void RedisClient::Impl::complete(Pending& pending, Result result) {
  pending.completed = true;
  Callback callback = std::move(pending.callback);
  pending.callback = nullptr;
  run_callback(callback, std::move(result));
}

void RedisClient::Impl::arm_deadline_timer() {
  if (pending_.empty()) {
    return;
  }
  // Due first: the deadline of the oldest command not completed yet, or the stall limit of the
  // oldest reply on the wire (completed or not), whichever comes earlier.
  constexpr auto kNever = Clock::time_point::max();
  auto due = kNever;
  if (const auto oldest = pending_.front().deadline; oldest != kNever) {
    due = oldest + options_.stall_limit;
  }
  if (completed_front_ < pending_.size()) {
    due = std::min(due, pending_[completed_front_].deadline);
  }
  if (due == kNever) {
    return;  // the handshake, guarded by the connect timer
  }
  // While only timed-out replies are due the timer waits for the stall limit, and a command
  // issued meanwhile must not wait that long for its own deadline: wait less, never more.
  if (deadline_armed_ && deadline_timer_.expiry() <= due) {
    return;
  }
  deadline_armed_ = true;
  deadline_timer_.expires_at(due);
  deadline_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) {
      return;  // re-armed for an earlier time (that wait is the live one now), or stopped
    }
    self->deadline_armed_ = false;
    self->check_deadlines();
  });
}

void RedisClient::Impl::check_deadlines() {
  const auto now = Clock::now();
  const auto timeout_ms = options_.command_timeout.count();
  // Fail only the commands whose own deadline passed. Each stays in pending_, completed, until
  // its late reply arrives: replies are strictly ordered, so that reply must still be matched
  // to it (and dropped) for the commands behind to get theirs, which Redis may well send in
  // time.
  bool timed_out = false;
  while (completed_front_ < pending_.size()) {
    Pending& pending = pending_[completed_front_];
    if (!pending.completed) {
      if (pending.deadline > now) {
        break;
      }
      auto result =
          make_result(RedisErrc::timeout, "no reply within " + std::to_string(timeout_ms) + " ms");
      result.may_have_run = true;
      complete(pending, std::move(result));
      timed_out = true;
    }
    ++completed_front_;
  }
  if (timed_out && !replies_late_) {
    // Once per episode: a slow server times out many commands in a row.
    replies_late_ = true;
    spdlog::warn("redis {}: no reply within {} ms; keeping the connection for up to {} ms more",
                 endpoint_, timeout_ms, options_.stall_limit.count());
  }
  const auto oldest = pending_.empty() ? Clock::time_point::max() : pending_.front().deadline;
  if (oldest == Clock::time_point::max() || now - oldest < options_.stall_limit) {
    arm_deadline_timer();
    return;
  }
  // Nothing came back for that long: a blackholed network or a frozen server rather than a
  // slow command. Start over on a fresh connection; the outstanding commands fail with
  // `disconnected`.
  spdlog::warn("redis {}: no reply for {} ms past a command's deadline; reconnecting", endpoint_,
               std::chrono::duration_cast<std::chrono::milliseconds>(now - oldest).count());
  close_context("connection reset after no reply for " +
                std::to_string(options_.stall_limit.count()) + " ms past a deadline");
  failed_attempts_ = 0;
  backoff_ = options_.reconnect_min;
  schedule_reconnect(std::chrono::milliseconds{0});
}

void RedisClient::Impl::do_start() {
  if (running_) {
    return;
  }
  running_ = true;
  failed_attempts_ = 0;
  backoff_ = options_.reconnect_min;
  // Made here, not in the constructor, so that their callbacks can hold a weak reference.
  if (sentinels_.empty()) {
    for (const auto& sentinel : options_.sentinels) {
      RedisOptions o;
      o.host = sentinel.host;
      o.port = sentinel.port;
      o.command_timeout = options_.connect_timeout;
      o.connect_timeout = options_.connect_timeout;
      o.reconnect_min = options_.reconnect_min;
      o.reconnect_max = reconnect_max_;
      // A Sentinel reachable (again) while no master is: try at once rather than after backoff.
      o.on_connected = [weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        boost::asio::post(self->strand_, [self] {
          if (self->running_ && self->state_ == State::backoff) {
            self->reconnect_timer_.cancel();
            self->begin_attempt();
          }
        });
      };
      sentinels_.push_back(std::make_unique<RedisClient>(io_, std::move(o)));
    }
  }
  for (auto& sentinel : sentinels_) sentinel->start();
  begin_attempt();
}

void RedisClient::Impl::do_stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  ++generation_;  // invalidates every timer and resolve still in flight
  resolver_.cancel();
  connect_timer_.cancel();
  reconnect_timer_.cancel();
  deadline_timer_.cancel();
  sentinel_timer_.cancel();
  for (auto& sentinel : sentinels_) sentinel->stop();
  deadline_armed_ = false;  // the cancelled wait's handler does nothing
  const bool was_ready = state_ == State::ready;
  state_ = State::idle;
  close_context("client stopped");
  spdlog::info("redis {}: stopped{}", endpoint_, was_ready ? ", connection closed" : "");
}

void RedisClient::Impl::begin_attempt() {
  ++generation_;
  state_ = State::connecting;
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait(
      [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec) {
        if (!ec) {
          self->on_connect_timeout(generation);
        }
      });

  if (sentinel_mode()) {
    ask_sentinels(false);
    return;
  }
  resolve_and_connect();
}

void RedisClient::Impl::resolve_and_connect() {
  addresses_.clear();
  next_address_ = 0;
  boost::system::error_code ec;
  const auto literal = boost::asio::ip::make_address(host_, ec);
  if (!ec) {
    addresses_.push_back(literal.to_string());
    connect_next();
    return;
  }
  // hiredis would resolve a host name with a blocking getaddrinfo() on this thread; Asio's
  // resolver does it on its own thread.
  resolver_.async_resolve(
      host_, std::to_string(port_),
      [self = shared_from_this(), generation = generation_](
          const boost::system::error_code& error,
          const boost::asio::ip::tcp::resolver::results_type& results) {
        if (generation != self->generation_ || self->state_ != State::connecting) {
          return;
        }
        if (error || results.empty()) {
          self->attempt_failed("cannot resolve host: " +
                               (error ? error.message() : std::string("no address")));
          return;
        }
        for (const auto& entry : results) {
          auto address = entry.endpoint().address().to_string();
          if (std::find(self->addresses_.begin(), self->addresses_.end(), address) ==
              self->addresses_.end()) {
            self->addresses_.push_back(std::move(address));
          }
        }
        self->connect_next();
      });
}

void RedisClient::Impl::connect_next() {
  const std::string& address = addresses_.at(next_address_++);
  // Non-blocking: returns at once with the connect in progress (or refused outright).
  redisAsyncContext* context = redisAsyncConnect(address.c_str(), port_);
  if (context == nullptr) {
    attempt_failed("cannot allocate a hiredis context");
    return;
  }
  if (context->err != 0) {
    std::string reason = context->c.errstr;
    redisAsyncFree(context);
    address_failed(reason);
    return;
  }
  auto adapter = std::make_shared<HiredisAsioAdapter>(strand_, weak_from_this());
  if (auto ec = adapter->attach(context)) {
    redisAsyncFree(context);
    attempt_failed("cannot watch the socket: " + ec.message());
    return;
  }
  // Detects a peer that vanished while the connection is idle (no command deadline running).
  redisEnableKeepAlive(&context->c);
  context->data = this;
  context_ = context;
  adapter_ = std::move(adapter);
  redisAsyncSetDisconnectCallback(context, &Impl::disconnect_callback);
  // Asks for the first write event, which reports how the non-blocking connect ended.
  redisAsyncSetConnectCallback(context, &Impl::connect_callback);
}

void RedisClient::Impl::address_failed(const std::string& reason) {
  if (next_address_ >= addresses_.size()) {
    attempt_failed(reason);
    return;
  }
  // A host name may resolve to several addresses (say ::1 and 127.0.0.1) of which only some
  // are served. Try the next one within the same attempt and deadline, from a fresh handler
  // because this may run inside a hiredis callback.
  boost::asio::post(strand_, [self = shared_from_this(), generation = generation_] {
    if (generation == self->generation_ && self->state_ == State::connecting) {
      self->connect_next();
    }
  });
}

void RedisClient::Impl::connect_callback(const redisAsyncContext* context, int status) {
  static_cast<Impl*>(context->data)->on_connected(context, status);
}

void RedisClient::Impl::disconnect_callback(const redisAsyncContext* context, int /*status*/) {
  static_cast<Impl*>(context->data)->on_disconnected(context);
}

void RedisClient::Impl::on_connected(const redisAsyncContext* context, int status) {
  if (context != context_) {
    return;
  }
  if (status != REDIS_OK) {
    // hiredis frees the context as soon as this returns.
    std::string reason = context->c.errstr[0] != '\0' ? context->c.errstr : "connect failed";
    context_ = nullptr;
    adapter_.reset();
    address_failed(reason);
    return;
  }
  state_ = State::handshaking;
  send_handshake();
}

void RedisClient::Impl::on_disconnected(const redisAsyncContext* context) {
  if (context != context_) {
    return;  // freed by close_context(), which handles the consequences itself
  }
  // hiredis lost the connection (EOF, I/O error, protocol error) and has already failed every
  // outstanding command; the context is freed when this returns.
  std::string reason =
      context->c.errstr[0] != '\0' ? context->c.errstr : "connection closed by the server";
  context_ = nullptr;
  adapter_.reset();
  if (state_ == State::ready) {
    connection_lost(reason);
  } else {
    attempt_failed(reason);
  }
}

void RedisClient::Impl::send_handshake() {
  std::vector<std::vector<std::string>> parts;
  if (!options_.password.empty()) {
    parts.push_back({"AUTH", options_.password});
  }
  if (options_.db != 0) {
    parts.push_back({"SELECT", std::to_string(options_.db)});
  }
  if (sentinel_mode()) {
    // A Sentinel's answer may be stale, and a master that was failed over and came back is a
    // replica now: only a server that itself says it is the master gets the writes.
    parts.push_back({"ROLE"});
  } else if (parts.empty()) {
    // Something must prove that the server answers before we call the connection ready.
    parts.push_back({"PING"});
  }
  enqueue(
      Kind::handshake, parts,
      [this, generation = generation_](const Result& result) {
        on_handshake_done(generation, result);
      },
      Clock::time_point::max());
}

void RedisClient::Impl::on_handshake_done(std::uint64_t generation, const Result& result) {
  if (generation != generation_ || state_ != State::handshaking) {
    return;
  }
  if (result.error == RedisErrc::disconnected) {
    return;  // the context is going away; whoever frees it reports why
  }
  std::string failure;
  if (!result.ok()) {
    failure = "AUTH/SELECT failed: " + result.message;
  } else if (sentinel_mode() && !is_master(result)) {
    failure = "the server the Sentinels named is not the master (ROLE " +
              (result.reply.elements.empty() ? std::string("?") : result.reply.elements[0].str) +
              ")";
  }
  if (!failure.empty()) {
    // Still inside a hiredis callback, where the context must not be freed.
    boost::asio::post(strand_, [weak = weak_from_this(), generation, reason = std::move(failure)] {
      auto self = weak.lock();
      if (self && generation == self->generation_ && self->state_ == State::handshaking) {
        self->close_context(reason);
        self->attempt_failed(reason);
      }
    });
    return;
  }
  state_ = State::ready;
  replies_late_ = false;
  connect_timer_.cancel();
  connected_.store(true, std::memory_order_release);
  if (failed_attempts_ > 0) {
    spdlog::info("redis {}: connected after {} failed attempts", endpoint_, failed_attempts_);
  } else {
    spdlog::info("redis {}: connected", endpoint_);
  }
  failed_attempts_ = 0;
  backoff_ = options_.reconnect_min;
  arm_sentinel_check();
  if (options_.on_connected) options_.on_connected();
}

bool RedisClient::Impl::is_master(const Result& role) const {
  return role.reply.type == Reply::Type::array && !role.reply.elements.empty() &&
         role.reply.elements[0].str == "master";
}

void RedisClient::Impl::ask_sentinels(bool check) {
  if (sentinel_answers_due_ > 0 && check) {
    arm_sentinel_check();  // the last round is still out (a slow Sentinel): look again later
    return;
  }
  ++sentinel_round_;
  sentinel_answers_due_ = sentinels_.size();
  sentinel_answered_ = false;
  sentinel_error_.clear();
  for (auto& sentinel : sentinels_) {
    sentinel->command({"SENTINEL", "get-master-addr-by-name", options_.sentinel_master},
                      [weak = weak_from_this(), round = sentinel_round_, check](Result result) {
                        auto self = weak.lock();
                        if (!self) return;
                        boost::asio::post(self->strand_,
                                          [self, round, check, result = std::move(result)] {
                                            self->on_sentinel_answer(round, check, result);
                                          });
                      });
  }
}

void RedisClient::Impl::on_sentinel_answer(std::uint64_t round, bool check, const Result& result) {
  if (round != sentinel_round_ || !running_) {
    return;  // a round of an earlier attempt or connection
  }
  if (sentinel_answers_due_ > 0) --sentinel_answers_due_;
  const bool named =
      result.ok() && result.reply.type == Reply::Type::array && result.reply.elements.size() == 2;
  std::uint16_t port = 0;
  if (named) {
    const auto& text = result.reply.elements[1].str;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc{} || ptr != text.data() + text.size() || port == 0) port = 0;
  }
  if (!named || port == 0) {
    if (sentinel_error_.empty()) {
      sentinel_error_ = result.ok()
                            ? "the Sentinels do not know master '" + options_.sentinel_master + "'"
                            : result.message;
    }
    if (sentinel_answers_due_ == 0 && !sentinel_answered_) {
      if (check) {
        arm_sentinel_check();  // keep the connection; ask again later
      } else if (state_ == State::connecting) {
        attempt_failed("no Sentinel named the master: " + sentinel_error_);
      }
    }
    return;
  }
  if (sentinel_answered_) {
    return;  // the first answer of a round counts
  }
  sentinel_answered_ = true;
  const auto& host = result.reply.elements[0].str;
  if (check) {
    if (state_ != State::ready) return;
    if (host == host_ && port == port_) {
      arm_sentinel_check();
      return;
    }
    spdlog::warn("redis {}: the Sentinels name {}:{} as the master now; moving there", endpoint_,
                 host, port);
    close_context("the master moved to " + host + ":" + std::to_string(port));
    connection_lost("the master moved");
    return;
  }
  if (state_ != State::connecting) return;
  host_ = host;
  port_ = port;
  endpoint_ = "master '" + options_.sentinel_master + "' at " + describe(host_, port_, options_.db);
  resolve_and_connect();
}

void RedisClient::Impl::arm_sentinel_check() {
  if (!sentinel_mode()) return;
  sentinel_timer_.expires_after(options_.sentinel_check_interval);
  sentinel_timer_.async_wait(
      [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec) {
        if (!ec && generation == self->generation_ && self->state_ == State::ready) {
          self->ask_sentinels(true);
        }
      });
}

void RedisClient::Impl::on_connect_timeout(std::uint64_t generation) {
  if (generation != generation_ || (state_ != State::connecting && state_ != State::handshaking)) {
    return;
  }
  resolver_.cancel();
  const std::string reason =
      "no connection within " + std::to_string(options_.connect_timeout.count()) + " ms";
  close_context(reason);
  attempt_failed(reason);
}

void RedisClient::Impl::attempt_failed(const std::string& reason) {
  connected_.store(false, std::memory_order_release);
  const auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, reconnect_max_);
  // One warning per outage; the retries behind it only at debug level.
  if (failed_attempts_ == 0) {
    spdlog::warn("redis {}: cannot connect: {}; retrying with backoff up to {} ms", endpoint_,
                 reason, reconnect_max_.count());
  } else {
    spdlog::debug("redis {}: connect attempt {} failed: {}; next in {} ms", endpoint_,
                  failed_attempts_ + 1, reason, delay.count());
  }
  ++failed_attempts_;
  schedule_reconnect(delay);
}

void RedisClient::Impl::connection_lost(const std::string& reason) {
  connected_.store(false, std::memory_order_release);
  spdlog::warn("redis {}: connection lost: {}; reconnecting", endpoint_, reason);
  failed_attempts_ = 0;
  backoff_ = options_.reconnect_min;
  // The server was fine a moment ago: try again at once, back off only if that fails.
  schedule_reconnect(std::chrono::milliseconds{0});
}

void RedisClient::Impl::schedule_reconnect(std::chrono::milliseconds delay) {
  state_ = State::backoff;
  if (!running_) {
    return;
  }
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait(
      [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec) {
        if (!ec && generation == self->generation_ && self->running_) {
          self->begin_attempt();
        }
      });
}

void RedisClient::Impl::close_context(const std::string& reason) {
  connected_.store(false, std::memory_order_release);
  redisAsyncContext* context = std::exchange(context_, nullptr);
  // Keeps the target of the hooks alive while redisAsyncFree runs the cleanup hook.
  const auto adapter = std::move(adapter_);
  if (context == nullptr) {
    return;
  }
  // Never called from inside a hiredis callback (hiredis would defer the free). The free runs
  // every outstanding reply callback with NULL, completing those commands as `disconnected`.
  assert((context->c.flags & REDIS_IN_CALLBACK) == 0);
  close_reason_ = reason;
  redisAsyncFree(context);
}

}  // namespace opsdb::redis
