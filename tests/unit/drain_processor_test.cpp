// The drain's decisions, step by step, with a fake buffer, a fake main database, a manual clock
// and a scheduler that runs nothing until told: no sleeping, no services.
#include "opsdb/processor/drain_processor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "opsdb/core/uuid.hpp"
#include "opsdb/processor/backoff.hpp"
#include "opsdb/tx/transaction_builder.hpp"
#include "support/step_scheduler.hpp"

namespace opsdb {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesFromTheFirstDelayUpToTheCap) {
  const milliseconds first(5000), max(60000);
  EXPECT_EQ(backoff_delay(1, first, max), milliseconds(5000));
  EXPECT_EQ(backoff_delay(2, first, max), milliseconds(10000));
  EXPECT_EQ(backoff_delay(3, first, max), milliseconds(20000));
  EXPECT_EQ(backoff_delay(4, first, max), milliseconds(40000));
  EXPECT_EQ(backoff_delay(5, first, max), milliseconds(60000));
  EXPECT_EQ(backoff_delay(500, first, max), milliseconds(60000));
}

using test::StepScheduler;

// An in-memory buffer that answers at once.
class FakeQueue final : public DrainQueue {
 public:
  std::deque<std::string> docs;  // oldest first
  std::vector<std::string> applied;
  std::vector<std::string> dead;
  std::map<std::string, int> attempts;

  void acquire_lease(Callback<bool> done) override { done(true); }
  void release_lease(Callback<void> done) override { done({}); }
  void peek_oldest(std::size_t skip, std::size_t count, std::size_t max_bytes,
                   Callback<std::vector<std::string>> done) override {
    ++peeks;
    if (skip == 0) ++peeks_from_oldest;
    std::vector<std::string> out;
    std::size_t bytes = 0;
    for (auto i = skip; i < docs.size() && out.size() < count; ++i) {
      if (!out.empty() && bytes + docs[i].size() > max_bytes) break;
      bytes += docs[i].size();
      out.push_back(docs[i]);
    }
    done(std::move(out));
  }
  int peeks = 0;
  int peeks_from_oldest = 0;
  void mark_applied(std::vector<std::string> batch, std::vector<std::string> ids, Lsn,
                    Callback<void> done) override {
    for (size_t i = 0; i < batch.size(); ++i) {
      EXPECT_EQ(docs.front(), batch[i]);
      docs.pop_front();
      applied.push_back(ids[i]);
    }
    done({});
  }
  void count_failure(const std::string& id, const std::string&, Callback<int> done) override {
    done(++attempts[id]);
  }
  void dead_letter(std::string doc, std::string id, std::string, int,
                   Callback<void> done) override {
    EXPECT_EQ(docs.front(), doc);
    docs.pop_front();
    dead.push_back(id);
    done({});
  }
};

// A main database that fails as scripted: down (connectivity) or rejecting given transactions.
class FakeMainDb final : public TransactionApplier {
 public:
  bool down = false;
  std::set<std::string> rejected;
  std::vector<std::size_t> batch_sizes;

  void apply(std::vector<Transaction> txs, Callback<ApplyResult> done) override {
    batch_sizes.push_back(txs.size());
    if (down) {
      return done(Error{Fault::unavailable, "refused", ""});
    }
    ApplyResult result;
    result.lsn = Lsn(0x10);
    for (const auto& tx : txs) {
      TxOutcome o;
      o.transaction_id = tx.id;
      if (rejected.count(tx.id)) {
        o.state = TxOutcome::State::failed;
        o.error = {Fault::rejected, "duplicate key", "23505"};
        result.outcomes.push_back(o);
        break;
      }
      result.outcomes.push_back(o);
    }
    done(result);
  }
};

// Short delays and small batches, so every rule shows in a few steps.
DrainOptions test_options(int batch_size) {
  DrainOptions o;
  o.retry_attempts = 3;
  o.retry_delay = milliseconds(200);
  o.max_delay = milliseconds(1000);
  o.interval = milliseconds(50);
  o.batch_size = batch_size;
  o.stall_timeout = milliseconds(10'000);
  return o;
}

class DrainProcessorTest : public ::testing::Test {
 protected:
  static DrainOptions options() { return test_options(10); }

  std::string buffer(int n = 1) {
    std::string last;
    for (int i = 0; i < n; ++i) {
      auto tx = builder_.start_observation({{"obs_unit_id", 1}}).tx;
      queue_.docs.push_back(tx.to_json().dump());
      last = tx.id;
    }
    return last;
  }

  ManualClock clock_;
  StepScheduler scheduler_{clock_};
  FakeQueue queue_;
  FakeMainDb db_;
  TransactionBuilder builder_{"observatory", clock_};
  DrainProcessor processor_{options(), queue_, db_, scheduler_, clock_};
};

TEST_F(DrainProcessorTest, DrainsInOrderInBatches) {
  buffer(25);
  std::vector<std::string> expected;
  for (const auto& d : queue_.docs) expected.push_back(nlohmann::json::parse(d)["id"]);
  processor_.start();
  scheduler_.step();  // the first pass
  scheduler_.run_until_wait();
  EXPECT_TRUE(queue_.docs.empty());
  EXPECT_EQ(queue_.applied, expected);
  EXPECT_EQ(db_.batch_sizes, (std::vector<std::size_t>{10, 10, 5}));
  EXPECT_EQ(processor_.snapshot().transactions_processed, 25u);
}

TEST_F(DrainProcessorTest, ReadsTheNextBatchWhileTheDatabaseAppliesThisOne) {
  buffer(25);
  std::vector<std::string> expected;
  for (const auto& d : queue_.docs) expected.push_back(nlohmann::json::parse(d)["id"]);
  processor_.start();
  scheduler_.step();
  scheduler_.run_until_wait();
  EXPECT_EQ(queue_.applied, expected);
  // The first batch and the final check for more read from the oldest; the batches in between
  // were read ahead, behind the batch in flight.
  EXPECT_EQ(queue_.peeks_from_oldest, 2);
  EXPECT_EQ(db_.batch_sizes, (std::vector<std::size_t>{10, 10, 5}));
}

TEST_F(DrainProcessorTest, AReadAheadBatchIsDroppedWhenTheBatchBeforeItFails) {
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) expected.push_back(buffer());
  const auto bad = expected[3];
  db_.rejected.insert(bad);
  processor_.start();
  scheduler_.step();
  for (int i = 0; i < 10 && scheduler_.run_until_wait().count() > 0; ++i) scheduler_.step();
  expected.erase(expected.begin() + 3);
  EXPECT_EQ(queue_.applied, expected) << "order must survive a failure inside a full batch";
  EXPECT_EQ(queue_.dead, std::vector<std::string>{bad});
  EXPECT_TRUE(queue_.docs.empty());
}

TEST_F(DrainProcessorTest, AReadAheadBatchIsDroppedWhenTheDatabaseFailsAtOnce) {
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) expected.push_back(buffer());
  // A refused connection fails the apply before the call that sent it has returned.
  scheduler_.run_immediate_work = true;
  db_.down = true;
  processor_.start();
  scheduler_.step();
  db_.down = false;
  for (int i = 0; i < 10 && scheduler_.run_until_wait().count() > 0; ++i) scheduler_.step();
  EXPECT_EQ(queue_.applied, expected) << "a batch read ahead overtook the batch before it";
}

TEST_F(DrainProcessorTest, ConnectivityFailuresBackOffAndCountNothing) {
  buffer(3);
  db_.down = true;
  processor_.start();
  scheduler_.step();
  std::vector<milliseconds> waits;
  for (int i = 0; i < 5; ++i) {
    waits.push_back(scheduler_.run_until_wait());
    scheduler_.step();
  }
  EXPECT_EQ(waits,
            (std::vector<milliseconds>{milliseconds(200), milliseconds(400), milliseconds(800),
                                       milliseconds(1000), milliseconds(1000)}));
  EXPECT_TRUE(queue_.attempts.empty());
  EXPECT_TRUE(queue_.dead.empty());
  EXPECT_EQ(processor_.snapshot().state, DrainState::waiting_for_main_db);
  db_.down = false;
  scheduler_.run_until_wait();
  scheduler_.step();  // the next probe finds the database back
  scheduler_.run_until_wait();
  EXPECT_EQ(queue_.applied.size(), 3u);
  EXPECT_EQ(processor_.snapshot().state, DrainState::idle);
}

TEST_F(DrainProcessorTest, DataErrorKeepsEarlierWritesRetriesAloneThenDeadLetters) {
  buffer(2);
  auto bad = buffer();
  buffer(2);
  db_.rejected.insert(bad);
  processor_.start();
  scheduler_.step();
  // The two before it are applied at once; the bad one waits 200 ms, then 400 ms.
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(200));
  EXPECT_EQ(queue_.applied.size(), 2u);
  scheduler_.step();
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(400));
  EXPECT_EQ(db_.batch_sizes.back(), 1u) << "a failing transaction is retried alone";
  scheduler_.step();
  scheduler_.run_until_wait();
  EXPECT_EQ(queue_.attempts[bad], 3);
  EXPECT_EQ(queue_.dead, std::vector<std::string>{bad});
  EXPECT_EQ(queue_.applied.size(), 4u) << "the drain continues after a dead letter";
  EXPECT_TRUE(queue_.docs.empty());
}

TEST_F(DrainProcessorTest, AnInvalidDocumentIsDeadLetteredNotExecuted) {
  const std::string id = "0b0e6f54-8f3e-4f4e-9d7a-3c1f2a9b7e10";
  queue_.docs.push_back("{\"id\": \"" + id + "\", \"steps\": [{\"op\": \"drop\"}]}");
  buffer(1);
  processor_.start();
  scheduler_.step();
  scheduler_.run_until_wait();
  EXPECT_EQ(queue_.dead, std::vector<std::string>{id});
  EXPECT_EQ(queue_.applied.size(), 1u);
  EXPECT_EQ(db_.batch_sizes, std::vector<std::size_t>{1});
}

// Operators name a dead letter by a UUID; a document without a readable one gets a new one.
TEST_F(DrainProcessorTest, ADeadLetterWithoutAUsableIdGetsOne) {
  queue_.docs.push_back("{\"id\": \"x\", \"steps\": [{\"op\": \"drop\"}]}");
  queue_.docs.push_back("not JSON at all");
  processor_.start();
  scheduler_.step();
  scheduler_.run_until_wait();
  ASSERT_EQ(queue_.dead.size(), 2u);
  for (const auto& id : queue_.dead) EXPECT_TRUE(is_uuid(id)) << id;
  EXPECT_NE(queue_.dead[0], queue_.dead[1]);
}

TEST_F(DrainProcessorTest, StopEndsTheLoop) {
  buffer(1);
  processor_.start();
  processor_.stop();
  scheduler_.step();
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(-1));
  EXPECT_FALSE(processor_.running());
}

// A main database that refuses a whole batch while parsing it when it holds a poison
// transaction (as jsonb refuses \u0000), and times out batches above a size.
class FussyMainDb final : public TransactionApplier {
 public:
  std::set<std::string> poison;
  std::size_t times_out_above = 0;  // 0 = never
  bool read_only = false;
  std::vector<std::size_t> batch_sizes;
  std::vector<std::string> applied;

  void apply(std::vector<Transaction> txs, Callback<ApplyResult> done) override {
    batch_sizes.push_back(txs.size());
    for (const auto& tx : txs) {
      if (poison.count(tx.id)) {
        return done(Error{Fault::rejected, "unsupported Unicode escape sequence", "22P05"});
      }
    }
    if (times_out_above != 0 && txs.size() > times_out_above) {
      return done(Error{Fault::unavailable,
                        "the main database cancelled the call (shutdown or timeout): canceling "
                        "statement due to statement timeout",
                        "57014"});
    }
    ApplyResult result;
    result.lsn = Lsn(0x10);
    for (const auto& tx : txs) {
      TxOutcome o;
      o.transaction_id = tx.id;
      if (read_only) {
        o.state = TxOutcome::State::failed;
        o.error = {Fault::unavailable, "the main database is read-only: cannot execute INSERT",
                   "25006"};
        result.outcomes.push_back(o);
        break;
      }
      applied.push_back(tx.id);
      result.outcomes.push_back(o);
    }
    done(result);
  }
};

class DrainFaultTest : public ::testing::Test {
 protected:
  static DrainOptions options() { return test_options(16); }

  std::vector<std::string> buffer(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto tx = builder_.start_observation({{"obs_unit_id", 1}}).tx;
      queue_.docs.push_back(tx.to_json().dump());
      ids.push_back(tx.id);
    }
    return ids;
  }

  // Runs the loop until it waits for more than `patience` or has nothing left to do.
  void run(milliseconds patience = milliseconds(5'000), int max_steps = 10'000) {
    for (int i = 0; i < max_steps; ++i) {
      const auto wait = scheduler_.run_until_wait();
      if (wait.count() < 0 || wait > patience) return;
      if (queue_.docs.empty() && processor_->snapshot().state == DrainState::idle) return;
      scheduler_.step();
    }
  }

  std::unique_ptr<DrainProcessor> make(DrainOptions o) {
    return std::make_unique<DrainProcessor>(o, queue_, db_, scheduler_, clock_);
  }

  ManualClock clock_;
  StepScheduler scheduler_{clock_};
  FakeQueue queue_;
  FussyMainDb db_;
  TransactionBuilder builder_{"observatory", clock_};
  std::unique_ptr<DrainProcessor> processor_ = make(options());
};

TEST_F(DrainFaultTest, ABatchRefusedAsAWholeIsSplitUntilTheWriteAtFaultStandsAlone) {
  auto ids = buffer(12);
  db_.poison.insert(ids[5]);
  processor_->start();
  scheduler_.step();
  run();
  std::vector<std::string> expected = ids;
  expected.erase(expected.begin() + 5);
  EXPECT_EQ(queue_.applied, expected) << "every other write applied, in order";
  EXPECT_EQ(queue_.dead, std::vector<std::string>{ids[5]});
  EXPECT_EQ(queue_.attempts[ids[5]], 3) << "the row-level rules apply once it stands alone";
  EXPECT_TRUE(queue_.docs.empty());
}

TEST_F(DrainFaultTest, TheDatabaseRefusingForItselfPausesAndBlamesNoWrite) {
  auto ids = buffer(5);
  db_.read_only = true;
  processor_->start();
  scheduler_.step();
  for (int i = 0; i < 50; ++i) {
    scheduler_.run_until_wait();
    scheduler_.step();
  }
  EXPECT_TRUE(queue_.dead.empty());
  EXPECT_TRUE(queue_.attempts.empty()) << "nothing counted against a write";
  const auto snap = processor_->snapshot();
  EXPECT_EQ(snap.state, DrainState::refused_by_main_db);
  EXPECT_NE(snap.last_error.find("read-only"), std::string::npos) << snap.last_error;
  EXPECT_EQ(scheduler_.run_until_wait(), milliseconds(1000)) << "capped backoff";

  db_.read_only = false;
  scheduler_.step();
  run();
  EXPECT_EQ(queue_.applied, ids);
}

TEST_F(DrainFaultTest, ATimedOutBatchShrinksAndSuccessGrowsItBack) {
  auto ids = buffer(40);
  db_.times_out_above = 3;
  processor_->start();
  scheduler_.step();
  run();
  EXPECT_EQ(queue_.applied, ids);
  EXPECT_TRUE(queue_.dead.empty());
  EXPECT_TRUE(queue_.attempts.empty());
  ASSERT_GE(db_.batch_sizes.size(), 3u);
  EXPECT_EQ(db_.batch_sizes[0], 16u);
  EXPECT_EQ(db_.batch_sizes[1], 8u);
  EXPECT_EQ(db_.batch_sizes[2], 4u);
  EXPECT_LE(*std::max_element(db_.batch_sizes.begin() + 3, db_.batch_sizes.end()), 4u);

  // Once the database takes large batches again, they grow back to the configured size.
  db_.times_out_above = 0;
  db_.batch_sizes.clear();
  buffer(64);
  scheduler_.step();
  run();
  EXPECT_TRUE(queue_.docs.empty());
  EXPECT_EQ(*std::max_element(db_.batch_sizes.begin(), db_.batch_sizes.end()), 16u);
}

TEST_F(DrainFaultTest, BatchesAreBoundedByBytes) {
  auto o = options();
  o.batch_bytes = 3 * queue_.docs.size() + 1;  // replaced below, once a document's size is known
  buffer(10);
  o.batch_bytes = queue_.docs.front().size() * 3 + 10;
  processor_ = make(o);
  processor_->start();
  scheduler_.step();
  run();
  EXPECT_TRUE(queue_.docs.empty());
  for (auto n : db_.batch_sizes) EXPECT_LE(n, 3u);

  // A single transaction larger than the bound still goes, alone.
  o.batch_bytes = 10;
  processor_->stop();
  // The stopped processor's last scheduled step holds a pointer to it.
  ASSERT_TRUE(scheduler_.run_until_idle());
  processor_ = make(o);
  db_.batch_sizes.clear();
  buffer(2);
  processor_->start();
  scheduler_.step();
  run();
  EXPECT_TRUE(queue_.docs.empty());
  EXPECT_EQ(db_.batch_sizes, (std::vector<std::size_t>{1, 1}));
}

TEST_F(DrainFaultTest, AnExceptionInAStepIsCountedAndTheLoopGoesOn) {
  auto o = options();
  o.test_throws = 2;
  processor_ = make(o);
  auto ids = buffer(3);
  processor_->start();
  scheduler_.step();
  run();
  EXPECT_EQ(queue_.applied, ids);
  EXPECT_EQ(processor_->snapshot().step_errors, 2u);
}

// A buffer that never answers a peek: a callback lost somewhere leaves the loop waiting for
// ever, which health must show.
class SilentQueue final : public DrainQueue {
 public:
  void acquire_lease(Callback<bool> done) override { done(true); }
  void release_lease(Callback<void> done) override { done({}); }
  void peek_oldest(std::size_t, std::size_t, std::size_t,
                   Callback<std::vector<std::string>>) override {}
  void mark_applied(std::vector<std::string>, std::vector<std::string>, Lsn,
                    Callback<void>) override {}
  void count_failure(const std::string&, const std::string&, Callback<int>) override {}
  void dead_letter(std::string, std::string, std::string, int, Callback<void>) override {}
};

TEST_F(DrainFaultTest, ALoopThatStopsFinishingStepsIsReportedStalled) {
  SilentQueue silent;
  DrainProcessor processor(options(), silent, db_, scheduler_, clock_);
  processor.start();
  scheduler_.step();
  EXPECT_NE(processor.snapshot().state, DrainState::stalled);
  clock_.advance(std::chrono::seconds(11));
  EXPECT_EQ(processor.snapshot().state, DrainState::stalled);
  EXPECT_EQ(to_string(DrainState::stalled), "stalled");
}

}  // namespace
}  // namespace opsdb
