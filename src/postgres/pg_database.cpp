#include "opsdb/postgres/pg_database.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <utility>
#include <vector>

#include "opsdb/postgres/error_classification.hpp"

namespace opsdb {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Runs on a worker with its connection; throws pqxx exceptions on failure.
using Job = std::function<void(pqxx::connection&)>;
// Told about a failure that happened before or while running the job.
using Fail = std::function<void(Error)>;

struct Task {
  Job job;
  Fail fail;
  // Both fixed when the call is made: a call waits in the queue until `start_by` at most, and
  // its whole deadline (queue time included) ends at `finish_by`.
  SteadyClock::time_point start_by;
  SteadyClock::time_point finish_by;
};

// The code of the failures the queue itself reports (the database never saw the call).
constexpr const char* kBusy = "busy";
// How often the watchdog looks at running calls and at the front of the queue.
constexpr std::chrono::milliseconds kWatchInterval{50};

// An error the server reported, classified by its SQLSTATE; a site-wide one leads with what
// it means for the operator ("the main database is read-only: ...").
Error server_error(const std::string& sqlstate, const std::string& message) {
  const auto reason = describe_sqlstate(sqlstate);
  return Error{classify_sqlstate(sqlstate),
               reason.empty() ? message : std::string(reason) + ": " + message, sqlstate};
}

Error translate(const std::exception& e) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    return server_error(sql->sqlstate(), e.what());
  }
  // The connection broke while the commit was on its way: it may or may not have happened.
  // The ledger makes a retry of the same transaction safe, but callers must know.
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return Error{Fault::outcome_unknown, e.what(), ""};
  }
  // Broken connections and anything else without a server verdict.
  return Error{Fault::unavailable, e.what(), ""};
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

struct PgDatabase::Impl {
  struct Worker {
    std::thread thread;
    std::atomic<int> socket{-1};
    std::atomic<std::int64_t> deadline{0};  // steady-clock ns; 0 = idle
    std::atomic<bool> timed_out{false};     // the watchdog closed the current call's socket
  };

  Impl(std::string name, DbConfig config, int count, PgQueueOptions queue)
      : name(std::move(name)),
        config(std::move(config)),
        queue(queue),
        conninfo(connection_string(this->config)),
        workers(static_cast<size_t>(count)) {
    for (auto& w : workers) w.thread = std::thread([this, &w] { run(w); });
    watchdog = std::thread([this] { watch(); });
  }

  ~Impl() { stop(); }

  // Queued calls are dropped without their callbacks; calls in progress finish (each within
  // its deadline) and call back.
  void stop() {
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      stopping = true;
      tasks.clear();
      refused.clear();
    }
    ready.notify_all();
    // The watchdog keeps running until the workers are gone: it is what frees a worker stuck
    // on a hung server.
    for (auto& w : workers) w.thread.join();
    {
      std::lock_guard lock(mutex);
      workers_gone = true;
    }
    watchdog_wake.notify_all();
    watchdog.join();
  }

  void submit(Job job, Fail fail) {
    const auto now = SteadyClock::now();
    Task task{std::move(job), std::move(fail), now + std::min(queue.wait, call_deadline()),
              now + call_deadline()};
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      if (tasks.size() >= queue.limit) {
        ++refused_full;
        if (!queue_full_logged) {
          spdlog::warn("{} database: {} calls already wait for a worker; refusing more", name,
                       tasks.size());
          queue_full_logged = true;
        }
        // Reported by the watchdog: a caller is never called back from inside its own call.
        refused.push_back(std::move(task));
      } else {
        queue_full_logged = false;
        tasks.push_back(std::move(task));
        ready.notify_one();
        return;
      }
    }
    watchdog_wake.notify_all();
  }

  Error queue_full_error() const {
    return Error{Fault::unavailable,
                 name + " database is busy: " + std::to_string(queue.limit) +
                     " calls already wait for a connection",
                 kBusy};
  }

  Error queue_timeout_error() const {
    return Error{Fault::unavailable,
                 name + " database is busy: the call found no free connection within " +
                     std::to_string(std::min(queue.wait, call_deadline()).count()) + " ms",
                 kBusy};
  }

  PgQueueStats stats() {
    std::lock_guard lock(mutex);
    return PgQueueStats{tasks.size(), refused_full, expired_queued};
  }

  std::chrono::milliseconds call_deadline() const {
    return config.statement_timeout + config.connect_timeout;
  }

  void run(Worker& worker) {
    std::unique_ptr<pqxx::connection> conn;
    for (;;) {
      Task task;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [this] { return stopping || !tasks.empty(); });
        if (stopping && tasks.empty()) return;
        task = std::move(tasks.front());
        tasks.pop_front();
      }
      if (SteadyClock::now() > task.start_by) {
        count_expired();
        task.fail(queue_timeout_error());
        continue;
      }
      try {
        if (!conn || !conn->is_open()) {
          conn.reset();
          conn = std::make_unique<pqxx::connection>(conninfo);
          note_connected();
        }
        worker.timed_out = false;
        worker.socket = conn->sock();
        // The deadline counts from the call, so the time it waited for a worker is included.
        worker.deadline = task.finish_by.time_since_epoch().count();
        task.job(*conn);
        disarm(worker);
      } catch (const std::exception& e) {
        disarm(worker);
        auto error = translate(e);
        if (worker.timed_out.exchange(false)) {
          // libpq only sees a closed socket; say what really happened.
          error = Error{Fault::unavailable,
                        name + " database gave no answer within " +
                            std::to_string(call_deadline().count()) + " ms",
                        "timeout"};
        }
        if (!error.is(Fault::rejected)) {
          // The connection may be unusable or in an unknown state: start afresh next time.
          conn.reset();
          note_unreachable(error);
        }
        task.fail(std::move(error));
      }
    }
  }

  // Under the mutex the watchdog scans with, so it never shuts down a socket whose call has
  // ended (and whose descriptor may be closed and reused after this).
  void disarm(Worker& worker) {
    std::lock_guard lock(mutex);
    worker.deadline = 0;
  }

  void count_expired() {
    std::lock_guard lock(mutex);
    ++expired_queued;
  }

  // Requires `mutex`. Takes the refused calls and those that waited past their start deadline
  // (the queue is in call order, and every call has the same wait, so they are at its front).
  std::vector<std::pair<Task, bool>> take_failed_calls() {
    std::vector<std::pair<Task, bool>> failed;
    for (auto& task : refused) failed.emplace_back(std::move(task), true);
    refused.clear();
    const auto now = SteadyClock::now();
    while (!tasks.empty() && tasks.front().start_by < now) {
      ++expired_queued;
      failed.emplace_back(std::move(tasks.front()), false);
      tasks.pop_front();
    }
    return failed;
  }

  // Frees workers stuck in a call past its deadline by shutting their socket down; libpq then
  // fails the call with a broken connection instead of waiting for a server that never answers.
  // Also fails the calls the queue refused or that waited too long, so a caller learns of a
  // busy database within the queue wait even while every worker is stuck.
  void watch() {
    std::unique_lock lock(mutex);
    while (!workers_gone) {
      watchdog_wake.wait_for(lock, kWatchInterval,
                             [this] { return workers_gone || !refused.empty(); });
      if (auto failed = take_failed_calls(); !failed.empty()) {
        lock.unlock();
        for (auto& [task, full] : failed)
          task.fail(full ? queue_full_error() : queue_timeout_error());
        lock.lock();
      }
      const auto now = SteadyClock::now().time_since_epoch().count();
      for (auto& w : workers) {
        auto deadline = w.deadline.load();
        if (deadline != 0 && now > deadline) {
          spdlog::warn("{} database call exceeded its {} ms deadline; closing its connection", name,
                       call_deadline().count());
          w.timed_out = true;
          ::shutdown(w.socket.load(), SHUT_RDWR);
          w.deadline = 0;
        }
      }
    }
  }

  void note_connected() {
    if (unreachable.exchange(false)) spdlog::info("{} database reachable again", name);
  }

  void note_unreachable(const Error& error) {
    if (!unreachable.exchange(true)) {
      spdlog::warn("{} database unreachable ({}:{}): {}", name, config.host, config.port,
                   first_line(error.message));
    }
  }

  std::string name;
  DbConfig config;
  PgQueueOptions queue;
  std::string conninfo;
  std::vector<Worker> workers;
  std::thread watchdog;
  std::mutex mutex;
  std::condition_variable ready;          // workers: a task is queued
  std::condition_variable watchdog_wake;  // watchdog: time to stop
  std::deque<Task> tasks;                 // bounded by queue.limit
  std::vector<Task> refused;              // refused calls, until the watchdog tells their callers
  std::uint64_t refused_full = 0;
  std::uint64_t expired_queued = 0;
  bool queue_full_logged = false;
  bool stopping = false;
  bool workers_gone = false;
  std::atomic<bool> unreachable{false};
};

PgDatabase::PgDatabase(std::string name, DbConfig config, int workers, PgQueueOptions queue)
    : impl_(std::make_unique<Impl>(std::move(name), std::move(config), workers, queue)) {}

PgDatabase::~PgDatabase() = default;

void PgDatabase::stop() {
  impl_->stop();
}

PgQueueStats PgDatabase::queue_stats() const {
  return impl_->stats();
}

void PgDatabase::query(SqlQuery query, Callback<nlohmann::json> done) {
  auto shared_done = std::make_shared<Callback<nlohmann::json>>(std::move(done));
  impl_->submit(
      [query = std::move(query), shared_done](pqxx::connection& conn) {
        pqxx::nontransaction work(conn);
        // Parameters travel separately from the statement text, never spliced into it.
        auto result = work.exec_params(query.text, pqxx::prepare::make_dynamic_params(
                                                       query.params.begin(), query.params.end()));
        auto rows = nlohmann::json::array();
        for (const auto& row : result) {
          rows.push_back(row[0].is_null() ? nlohmann::json(nullptr)
                                          : nlohmann::json::parse(row[0].c_str()));
        }
        (*shared_done)(std::move(rows));
      },
      [shared_done](Error error) { (*shared_done)(std::move(error)); });
}

void PgDatabase::apply(std::vector<Transaction> transactions, Callback<ApplyResult> done) {
  auto batch = nlohmann::json::array();
  for (const auto& tx : transactions) {
    // Identifiers are checked again right before execution, whatever their origin.
    check_against_registry(tx);
    batch.push_back(tx.to_json());
  }
  auto shared_done = std::make_shared<Callback<ApplyResult>>(std::move(done));
  impl_->submit(
      [batch = batch.dump(), shared_done](pqxx::connection& conn) {
        pqxx::nontransaction work(conn);
        // One round trip: the procedure applies the batch in one database transaction, commits
        // and returns the WAL position after the commit. Once the replica has replayed that far
        // it has every transaction of the batch.
        auto row = work.exec_params1("CALL opsdb_apply_batch($1::jsonb)", batch);
        ApplyResult result;
        for (const auto& o : nlohmann::json::parse(row[0].c_str())) {
          TxOutcome outcome;
          outcome.transaction_id = o.at("id").get<std::string>();
          const auto state = o.at("outcome").get<std::string>();
          if (state == "applied") {
            outcome.state = TxOutcome::State::applied;
          } else if (state == "skipped") {
            outcome.state = TxOutcome::State::skipped;
          } else {
            outcome.state = TxOutcome::State::failed;
            // The procedure catches every error of a transaction's savepoint, including those
            // that are the site's (read-only database, revoked privilege): classify them here.
            outcome.error = server_error(o.value("sqlstate", ""), o.value("message", ""));
          }
          result.outcomes.push_back(std::move(outcome));
        }
        auto lsn = Lsn::parse(row[1].c_str());
        if (!lsn) throw std::runtime_error(std::string("unreadable commit LSN ") + row[1].c_str());
        result.lsn = *lsn;
        (*shared_done)(std::move(result));
      },
      [shared_done](Error error) { (*shared_done)(std::move(error)); });
}

}  // namespace opsdb
