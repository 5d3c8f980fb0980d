#include "opsdb/processor/drain_processor.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "opsdb/core/uuid.hpp"
#include "opsdb/processor/backoff.hpp"

namespace opsdb {
namespace {

constexpr auto kRateWindow = std::chrono::seconds(60);

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// What is kept with a rejected transaction: the database's message and its SQLSTATE.
std::string describe(const Error& error) {
  return error.code.empty() ? error.message : error.message + " (SQLSTATE " + error.code + ")";
}

// A call that ran out of time: the server cancelled it (statement timeout) or never answered.
// A smaller batch may pass where a large one cannot.
bool timed_out(const Error& error) {
  return error.code == "57014" || error.code == "timeout";
}

// The database answered and refused for a reason of its own (read-only, privileges, missing
// objects), as opposed to not answering at all.
bool refused_by_database(const Error& error) {
  if (error.code.size() != 5) return false;
  const auto cls = error.code.substr(0, 2);
  return cls != "08" && cls != "57";
}

}  // namespace

DrainProcessor::DrainProcessor(DrainOptions options, DrainQueue& queue, TransactionApplier& main_db,
                               Scheduler& scheduler, const Clock& clock)
    : options_(options),
      queue_(queue),
      main_db_(main_db),
      scheduler_(scheduler),
      clock_(clock),
      supervisor_("drain", clock, options.stall_timeout),
      batch_limit_(static_cast<std::size_t>(std::max(1, options.batch_size))),
      throws_left_(options.test_throws) {}

// One step of the loop, supervised: after an exception the loop goes on an interval later.
template <typename Step>
auto DrainProcessor::guarded(Step step) {
  return supervisor_.guard(std::move(step), [this] {
    drop_prefetched();
    next(options_.interval);
  });
}

void DrainProcessor::start() {
  started_ = true;
  supervisor_.progress();
  set_state(DrainState::running);
  // The first pass waits one interval, giving the Redis connection time to come up.
  next(options_.interval);
}

void DrainProcessor::stop() {
  stopped_ = true;
  set_state(DrainState::stopped);
}

void DrainProcessor::next(std::chrono::milliseconds delay) {
  if (stopped_) return;
  scheduler_.after(delay, guarded([this] { tick(); }));
}

void DrainProcessor::set_state(DrainState state, const std::string& error) {
  std::lock_guard lock(mutex_);
  if (stopped_ && state != DrainState::stopped) return;
  state_ = state;
  if (!error.empty()) last_error_ = error;
}

void DrainProcessor::tick() {
  if (stopped_) return;
  {
    std::lock_guard lock(mutex_);
    last_run_ = clock_.now();
  }
  if (throws_left_ > 0) {
    --throws_left_;
    throw std::runtime_error("DRAIN_TEST_FAULT: a failure injected for testing");
  }
  queue_.acquire_lease(guarded([this](Result<bool> held) {
    if (!held.ok()) {
      if (!redis_failing_) {
        spdlog::error("drain paused: the buffer (Redis) is unreachable: {}", held.error().message);
      }
      redis_failing_ = true;
      return wait_for_redis(held.error());
    }
    if (redis_failing_) spdlog::info("drain: the buffer (Redis) is reachable again");
    redis_failing_ = false;
    if (!*held) {
      // Another process of this site drains; stand by and try again later.
      set_state(DrainState::standby);
      return next(options_.interval);
    }
    if (auto docs = take_prefetched()) return drain(std::move(*docs));
    queue_.peek_oldest(0, batch_limit_.load(), options_.batch_bytes,
                       guarded([this](Result<std::vector<std::string>> docs) {
                         if (!docs.ok()) return wait_for_redis(docs.error());
                         drain(std::move(*docs));
                       }));
  }));
}

void DrainProcessor::drain(std::vector<std::string> docs) {
  if (docs.empty()) {
    set_state(DrainState::idle);
    return next(options_.interval);
  }
  // Bounded by bytes as well as by count; the oldest transaction always goes, whatever its size.
  std::size_t bytes = docs.front().size(), keep = 1;
  if (docs.size() > batch_limit_) docs.resize(batch_limit_.load());
  while (keep < docs.size() && bytes + docs[keep].size() <= options_.batch_bytes) {
    bytes += docs[keep++].size();
  }
  docs.resize(keep);
  std::vector<Transaction> txs;
  for (const auto& doc : docs) {
    try {
      txs.push_back(Transaction::parse(doc));
    } catch (const std::exception& e) {
      // Never executed, never silently dropped: a document that is not a valid transaction
      // goes to the dead-letter queue once everything before it is applied.
      if (txs.empty()) return dead_letter_garbage(doc, e.what());
      break;
    }
  }
  docs.resize(txs.size());
  if (txs.front().id == failing_id_) {
    const auto now = clock_.now();
    if (now < retry_at_) {
      set_state(DrainState::retrying);
      return next(std::chrono::ceil<std::chrono::milliseconds>(retry_at_ - now));
    }
    // After a data error the transaction is retried on its own.
    txs.resize(1);
    docs.resize(1);
  }
  run_batch(std::move(docs), std::move(txs));
}

void DrainProcessor::run_batch(std::vector<std::string> docs, std::vector<Transaction> txs) {
  // A full batch suggests more behind it: read the next one from the buffer while the database
  // works on this one. Registered before the apply is sent, so that an outcome dropping it
  // (which can arrive at once, e.g. a refused connection) always comes after it.
  if (docs.size() == batch_limit_) prefetch(docs.size());
  const auto started = std::chrono::steady_clock::now();
  auto batch = txs;
  main_db_.apply(std::move(batch), [this, docs = std::move(docs), txs = std::move(txs),
                                    started](Result<ApplyResult> result) mutable {
    const auto took = std::chrono::steady_clock::now() - started;
    // Database callbacks arrive on a worker thread; continue on the event loop.
    scheduler_.after(std::chrono::milliseconds(0),
                     guarded([this, docs = std::move(docs), txs = std::move(txs),
                              result = std::move(result), took]() mutable {
                       on_result(std::move(docs), std::move(txs), std::move(result), took);
                     }));
  });
}

// The batch behind the one in flight sits right before it at the tail: nothing but this drainer
// removes from the tail, and new writes arrive at the head. Valid only if the batch in flight is
// then applied and removed whole; every other outcome drops it.
void DrainProcessor::prefetch(std::size_t in_flight) {
  std::uint64_t generation;
  {
    std::lock_guard lock(prefetch_mutex_);
    generation = ++prefetch_generation_;
    prefetched_.reset();
  }
  queue_.peek_oldest(in_flight, batch_limit_.load(), options_.batch_bytes,
                     [this, generation](Result<std::vector<std::string>> docs) {
                       std::lock_guard lock(prefetch_mutex_);
                       if (generation != prefetch_generation_ || !docs.ok()) return;
                       prefetched_ = std::move(*docs);
                     });
}

std::optional<std::vector<std::string>> DrainProcessor::take_prefetched() {
  std::lock_guard lock(prefetch_mutex_);
  ++prefetch_generation_;  // a prefetch still on its way is stale from now on
  auto docs = std::move(prefetched_);
  prefetched_.reset();
  // Nothing was behind the last batch then; writes may have come since: read afresh.
  if (docs && docs->empty()) return std::nullopt;
  return docs;
}

void DrainProcessor::drop_prefetched() {
  std::lock_guard lock(prefetch_mutex_);
  ++prefetch_generation_;
  prefetched_.reset();
}

void DrainProcessor::on_result(std::vector<std::string> docs, std::vector<Transaction> txs,
                               Result<ApplyResult> result,
                               std::chrono::steady_clock::duration took) {
  if (!result.ok()) {
    const auto& error = result.error();
    // Refused as a whole, or out of time, without a transaction to blame: halve the batch.
    if (txs.size() > 1 && (error.is(Fault::rejected) || timed_out(error))) {
      return split(error, txs.size());
    }
    // Standing alone, a transaction the database refuses to even read is at fault itself.
    if (error.is(Fault::rejected)) {
      drop_prefetched();
      return on_failure(docs.front(), txs.front().id, describe(error));
    }
    return pause_for_main_db(error, txs.size());
  }
  auto& outcomes = result->outcomes;
  std::size_t applied = 0;
  while (applied < outcomes.size() && outcomes[applied].state != TxOutcome::State::failed) {
    ++applied;
  }
  std::optional<TxOutcome> failure;
  if (applied < outcomes.size()) failure = outcomes[applied];
  // The database refusing for a reason of its own keeps the backoff going.
  if (!failure || failure->error.is(Fault::rejected)) {
    if (connectivity_failures_ > 0) {
      spdlog::info("main database takes writes again after {} failed attempt(s); draining",
                   connectivity_failures_);
      connectivity_failures_ = 0;
    }
    set_state(DrainState::running);
  }
  const std::string failing_doc = failure ? docs[applied] : std::string{};

  // Whatever was read ahead is only the next batch if this one was applied and removed whole.
  if (failure) drop_prefetched();
  adapt_batch_limit(took, txs.size(), failure.has_value());
  auto after_marking = guarded([this, failure, failing_doc](Result<void> marked) {
    if (!marked.ok()) {
      drop_prefetched();
      // Committed on the main database but still in the buffer: the next pass re-applies
      // them, and the ledger turns that into a skip.
      spdlog::warn("drain: could not mark applied transactions in the buffer: {}",
                   marked.error().message);
      return wait_for_redis(marked.error());
    }
    if (!failure) return next(std::chrono::milliseconds(0));
    // Only the data itself counts against a transaction; any other failure is the site's.
    if (failure->error.is(Fault::rejected)) {
      return on_failure(failing_doc, failure->transaction_id, describe(failure->error));
    }
    pause_for_main_db(failure->error, 1);
  });
  if (applied == 0) return after_marking(Result<void>{});

  std::vector<std::string> ids;
  for (std::size_t i = 0; i < applied; ++i) ids.push_back(txs[i].id);
  if (failing_id_ == txs[0].id) failing_id_.clear();
  docs.resize(applied);
  record_applied(applied, took, result->lsn);
  queue_.mark_applied(std::move(docs), std::move(ids), result->lsn, after_marking);
}

void DrainProcessor::split(const Error& error, std::size_t size) {
  batch_limit_ = std::max<std::size_t>(1, size / 2);
  spdlog::warn(
      "the main database did not take a batch of {} as a whole ({}); retrying with {} at a "
      "time to find the transaction at fault, in order",
      size, first_line(error.message), batch_limit_.load());
  drop_prefetched();
  if (timed_out(error)) set_state(DrainState::waiting_for_main_db, first_line(error.message));
  next(std::chrono::milliseconds(0));
}

void DrainProcessor::adapt_batch_limit(std::chrono::steady_clock::duration took, std::size_t size,
                                       bool failed) {
  const auto configured = static_cast<std::size_t>(std::max(1, options_.batch_size));
  if (options_.slow_batch.count() > 0 && took > options_.slow_batch && size > 1) {
    batch_limit_ = std::max<std::size_t>(1, size / 2);
    spdlog::info("drain: a batch of {} took {} ms; the next ones take {}", size,
                 std::chrono::duration_cast<std::chrono::milliseconds>(took).count(),
                 batch_limit_.load());
  } else if (!failed && size >= batch_limit_ && batch_limit_ < configured) {
    batch_limit_ = std::min(configured, batch_limit_.load() * 2);
  }
}

void DrainProcessor::pause_for_main_db(const Error& error, std::size_t pending) {
  ++connectivity_failures_;
  const auto delay =
      backoff_delay(connectivity_failures_, options_.retry_delay, options_.max_delay);
  const bool refused = refused_by_database(error);
  if (connectivity_failures_ == 1) {
    spdlog::error(
        "drain paused: main database {} ({}); retrying with backoff, nothing is counted "
        "against the {} pending transaction(s) of this batch",
        refused ? "refuses writes" : "unreachable", first_line(error.message), pending);
  } else {
    spdlog::debug("main database still {} (failure {}), next try in {} ms",
                  refused ? "refusing writes" : "unreachable", connectivity_failures_,
                  delay.count());
  }
  set_state(refused ? DrainState::refused_by_main_db : DrainState::waiting_for_main_db,
            first_line(error.message));
  drop_prefetched();
  next(delay);
}

void DrainProcessor::wait_for_redis(const Error& error) {
  set_state(DrainState::waiting_for_redis, error.message);
  next(options_.interval);
}

void DrainProcessor::on_failure(const std::string& doc, const std::string& id,
                                const std::string& error) {
  queue_.count_failure(
      id, error, guarded([this, doc, id, error](Result<int> counted) {
        if (!counted.ok()) return wait_for_redis(counted.error());
        const int attempts = *counted;
        {
          std::lock_guard lock(mutex_);
          ++failed_attempts_;
        }
        if (attempts < options_.retry_attempts) {
          const auto delay = backoff_delay(attempts, options_.retry_delay, options_.max_delay);
          spdlog::warn(
              "transaction {} rejected by the main database (attempt {}/{}): {}; retrying "
              "in {} ms",
              id, attempts, options_.retry_attempts, error, delay.count());
          failing_id_ = id;
          retry_at_ = clock_.now() + delay;
          set_state(DrainState::retrying, error);
          return next(delay);
        }
        queue_.dead_letter(
            doc, id, error, attempts, guarded([this, id, error, attempts](Result<void> moved) {
              if (!moved.ok()) return wait_for_redis(moved.error());
              spdlog::error("transaction {} moved to the dead-letter queue after {} attempts: {}",
                            id, attempts, error);
              {
                std::lock_guard lock(mutex_);
                ++dead_lettered_;
              }
              failing_id_.clear();
              next(std::chrono::milliseconds(0));
            }));
      }));
}

void DrainProcessor::dead_letter_garbage(const std::string& doc, const std::string& error) {
  // The dead letter needs an id operators can name: the document's own when it has a readable
  // one, else a new one (kept with the entry, so it stays the same from then on).
  auto parsed = nlohmann::json::parse(doc, nullptr, false);
  std::string id;
  if (parsed.is_object() && parsed.contains("id") && parsed["id"].is_string()) id = parsed["id"];
  if (!is_uuid(id)) id = new_uuid();
  spdlog::error(
      "buffer holds an invalid transaction document ({}); moving it to the "
      "dead-letter queue",
      error);
  queue_.dead_letter(doc, id, "invalid transaction document: " + error, 0,
                     guarded([this](Result<void> moved) {
                       if (!moved.ok()) return wait_for_redis(moved.error());
                       next(std::chrono::milliseconds(0));
                     }));
}

void DrainProcessor::record_applied(std::size_t count, std::chrono::steady_clock::duration took,
                                    Lsn lsn) {
  if (batch_observer_) batch_observer_(count, took);
  std::lock_guard lock(mutex_);
  processed_ += count;
  last_commit_lsn_ = lsn;
  const double per_tx = std::chrono::duration<double, std::milli>(took).count() / count;
  avg_tx_ms_ = avg_tx_ms_ == 0 ? per_tx : 0.8 * avg_tx_ms_ + 0.2 * per_tx;
  const auto now = clock_.now();
  recent_.emplace_back(now, count);
  while (!recent_.empty() && now - recent_.front().first > kRateWindow) recent_.pop_front();
}

ProcessorSnapshot DrainProcessor::snapshot() const {
  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  std::size_t recent = 0;
  for (const auto& [t, n] : recent_) {
    if (now - t <= kRateWindow) recent += n;
  }
  const double attempts = static_cast<double>(processed_ + failed_attempts_);
  ProcessorSnapshot snap;
  snap.state = state_;
  // A running loop finishes a step at least every interval, backoff or call deadline.
  if (running() && state_ != DrainState::stopped && supervisor_.stalled()) {
    snap.state = DrainState::stalled;
  }
  snap.running = running();
  snap.last_run = last_run_;
  snap.transactions_processed = processed_;
  snap.failed_attempts = failed_attempts_;
  snap.dead_lettered = dead_lettered_;
  snap.success_rate = attempts == 0 ? 1.0 : static_cast<double>(processed_) / attempts;
  snap.processing_rate =
      static_cast<double>(recent) / std::chrono::duration<double>(kRateWindow).count();
  snap.average_execution_time_ms = avg_tx_ms_;
  snap.last_error = last_error_;
  snap.step_errors = supervisor_.errors();
  snap.batch_limit = batch_limit_.load();
  snap.last_commit_lsn = last_commit_lsn_;
  return snap;
}

}  // namespace opsdb
