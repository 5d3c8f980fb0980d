// The local write journal: what it acknowledged survives a reopen in order, a torn or damaged
// tail is cut (and kept aside) without touching the records before it, a full journal refuses,
// concurrent appends are all durable, a replayed journal empties — and the secondary site's
// writer sends writes to it exactly when the buffer cannot take them, keeping their order.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <future>
#include <thread>

#include "opsdb/api/buffered_writer.hpp"
#include "opsdb/buffer/file_journal.hpp"

namespace opsdb {
namespace {

Transaction transaction(int n) {
  Transaction tx;
  tx.id = "00000000-0000-4000-8000-" + std::string(12 - std::to_string(n).size(), '0') +
          std::to_string(n);
  tx.site = "observatory";
  tx.origin = "POST /executed_obs_units/start";
  tx.created_at = "2026-11-29T12:00:00.000000Z";
  Step step;
  step.op = Step::Op::update;
  step.table = "executed_obs_unit";
  step.id = "00000000-0000-4000-8000-000000000001";
  step.set = {{"status", "running"}};
  tx.steps.push_back(step);
  return tx;
}

class WriteJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("journal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "writes.journal").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<FileJournal> open(std::uint64_t max_bytes = 1 << 20) {
    return std::make_unique<FileJournal>(JournalOptions{path_, max_bytes});
  }

  static Status append(FileJournal& journal, JournaledWrite write) {
    std::promise<Status> done;
    auto future = done.get_future();
    journal.append(std::move(write), [&done](Status s) { done.set_value(std::move(s)); });
    return future.get();
  }

  static std::vector<JournaledWrite> replay_all(FileJournal& journal) {
    std::vector<JournaledWrite> out;
    while (auto record = journal.next()) {
      out.push_back(record->write);
      journal.replayed(*record);
    }
    return out;
  }

  std::uintmax_t file_size() const { return std::filesystem::file_size(path_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(WriteJournalTest, AcknowledgedWritesSurviveAReopenInOrder) {
  {
    auto journal = open();
    EXPECT_FALSE(journal->active());
    ASSERT_TRUE(append(*journal, {transaction(1), std::nullopt}).ok());
    ASSERT_TRUE(append(*journal, {transaction(2), std::string("hash-2")}).ok());
    ASSERT_TRUE(append(*journal, {transaction(3), std::nullopt}).ok());
    EXPECT_TRUE(journal->active());
  }
  auto journal = open();
  EXPECT_TRUE(journal->active()) << "writes from before the restart wait for their replay";
  EXPECT_EQ(journal->stats().pending, 3u);
  EXPECT_EQ(journal->find(transaction(2).id), std::optional<std::string>("hash-2"));
  EXPECT_EQ(journal->find(transaction(1).id), std::optional<std::string>(""));
  EXPECT_FALSE(journal->find(transaction(9).id));
  auto replayed = replay_all(*journal);
  ASSERT_EQ(replayed.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(replayed[i].tx.id, transaction(i + 1).id);
  EXPECT_EQ(replayed[1].request_hash, std::optional<std::string>("hash-2"));
  EXPECT_EQ(replayed[0].tx.steps.at(0).set, transaction(1).steps.at(0).set);
}

TEST_F(WriteJournalTest, ReplayingEverythingEmptiesTheFileAndWritesGoDirectAgain) {
  auto journal = open();
  ASSERT_TRUE(append(*journal, {transaction(1), std::nullopt}).ok());
  ASSERT_TRUE(append(*journal, {transaction(2), std::nullopt}).ok());
  auto first = journal->next();
  ASSERT_TRUE(first);
  journal->replayed(*first);
  EXPECT_TRUE(journal->active()) << "one write still waits";
  EXPECT_FALSE(journal->find(transaction(1).id));
  EXPECT_GT(file_size(), 0u);
  replay_all(*journal);
  EXPECT_FALSE(journal->active());
  EXPECT_EQ(file_size(), 0u);
  EXPECT_EQ(journal->stats().pending, 0u);
  // And it takes writes again from the start of the file.
  ASSERT_TRUE(append(*journal, {transaction(3), std::nullopt}).ok());
  auto again = replay_all(*journal);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].tx.id, transaction(3).id);
}

TEST_F(WriteJournalTest, ATornTailIsCutAndKeptAsideAndTheRecordsBeforeItSurvive) {
  std::uintmax_t two_records = 0;
  {
    auto journal = open();
    ASSERT_TRUE(append(*journal, {transaction(1), std::nullopt}).ok());
    ASSERT_TRUE(append(*journal, {transaction(2), std::nullopt}).ok());
    two_records = file_size();
    ASSERT_TRUE(append(*journal, {transaction(3), std::nullopt}).ok());
  }
  // A power cut in the middle of the third record's write.
  ASSERT_EQ(::truncate(path_.c_str(), static_cast<off_t>(file_size() - 7)), 0);
  auto journal = open();
  EXPECT_EQ(file_size(), two_records);
  EXPECT_EQ(journal->stats().pending, 2u);
  auto replayed = replay_all(*journal);
  ASSERT_EQ(replayed.size(), 2u);
  EXPECT_EQ(replayed[1].tx.id, transaction(2).id);
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().filename().string().find(".damaged-") != std::string::npos) ++damaged;
  }
  EXPECT_EQ(damaged, 1) << "the cut bytes are kept for an operator";
}

TEST_F(WriteJournalTest, ADamagedRecordEndsTheValidPart) {
  std::uintmax_t one_record = 0;
  {
    auto journal = open();
    ASSERT_TRUE(append(*journal, {transaction(1), std::nullopt}).ok());
    one_record = file_size();
    ASSERT_TRUE(append(*journal, {transaction(2), std::nullopt}).ok());
  }
  {
    // One flipped byte inside the second record's payload.
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(one_record + 30));
    f.put('#');
  }
  auto journal = open();
  EXPECT_EQ(journal->stats().pending, 1u);
  EXPECT_EQ(file_size(), one_record);
  // Garbage after the last record (a header without its record) is cut as well.
  {
    std::ofstream f(path_, std::ios::app | std::ios::binary);
    f << "OPJ1\xff\xff";
  }
  journal.reset();
  journal = open();
  EXPECT_EQ(file_size(), one_record);
}

TEST_F(WriteJournalTest, AFullJournalRefusesAndKeepsWhatItHas) {
  auto journal = open(4096);
  int taken = 0;
  Status refused = Status{};
  for (int i = 1; i <= 100; ++i) {
    auto s = append(*journal, {transaction(i), std::nullopt});
    if (!s.ok()) {
      refused = s;
      break;
    }
    ++taken;
  }
  ASSERT_FALSE(refused.ok()) << "4 KiB never filled";
  EXPECT_GT(taken, 0);
  EXPECT_EQ(refused.error().code, "journal_full");
  EXPECT_TRUE(refused.error().is(Fault::unavailable));
  EXPECT_LE(file_size(), 4096u);
  EXPECT_EQ(replay_all(*journal).size(), static_cast<std::size_t>(taken));
}

TEST_F(WriteJournalTest, ConcurrentAppendsAreAllDurableInEachWritersOrder) {
  constexpr int kThreads = 8, kEach = 100;
  {
    auto journal = open(64 << 20);
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          if (!append(*journal, {transaction(t * 1000 + i), std::nullopt}).ok()) ++failures;
        }
      });
    }
    for (auto& w : writers) w.join();
    EXPECT_EQ(failures, 0);
  }
  auto journal = open(64 << 20);
  auto replayed = replay_all(*journal);
  ASSERT_EQ(replayed.size(), static_cast<std::size_t>(kThreads * kEach));
  std::vector<int> last(kThreads, -1);
  for (const auto& w : replayed) {
    const int n = std::stoi(w.tx.id.substr(24));
    EXPECT_GT(n % 1000, last[n / 1000]) << "writer " << n / 1000 << " out of order";
    last[n / 1000] = n % 1000;
  }
}

TEST_F(WriteJournalTest, OneJournalFileServesOneProcess) {
  auto journal = open();
  EXPECT_THROW(open(), std::runtime_error);
}

TEST(JournalRecordTest, DecodesOnlyWholeIntactRecords) {
  const auto record = encode_journal_record("{\"a\":1}");
  auto decoded = decode_journal_record(record + "trailing");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->payload, "{\"a\":1}");
  EXPECT_EQ(decoded->size, record.size());
  EXPECT_FALSE(decode_journal_record(record.substr(0, record.size() - 1)));
  EXPECT_FALSE(decode_journal_record(record.substr(0, 5)));
  auto flipped = record;
  flipped.back() ^= 1;
  EXPECT_FALSE(decode_journal_record(flipped));
  EXPECT_FALSE(decode_journal_record(""));
}

// --- the writer's choice between the buffer and the journal --------------------------------

class ScriptedBuffer final : public WriteBuffer {
 public:
  std::optional<Error> fail;  // every call fails with it, when set
  std::vector<std::string> buffered;
  std::map<std::string, std::string> markers;

  void enqueue(const Transaction& tx, Callback<void> done) override {
    if (fail) return done(*fail);
    buffered.push_back(tx.id);
    done({});
  }
  void enqueue_once(const Transaction& tx, const std::string& hash,
                    Callback<std::optional<std::string>> done) override {
    if (fail) return done(*fail);
    if (auto it = markers.find(tx.id); it != markers.end()) {
      return done(std::optional<std::string>(it->second));
    }
    markers[tx.id] = hash;
    buffered.push_back(tx.id);
    done(std::optional<std::string>());
  }
  void enqueue_absent(const Transaction& tx, Callback<bool> done) override {
    if (fail) return done(*fail);
    if (std::find(buffered.begin(), buffered.end(), tx.id) != buffered.end()) return done(false);
    buffered.push_back(tx.id);
    done(true);
  }
};

class BufferedWriterTest : public WriteJournalTest {
 protected:
  WriteResult submit(BufferedWriter& writer, int n, std::optional<std::string> hash = {}) {
    std::promise<WriteResult> done;
    auto future = done.get_future();
    writer.submit(BuiltWrite{transaction(n), nlohmann::json::object(), std::move(hash)},
                  [&done](WriteResult r) { done.set_value(std::move(r)); });
    return future.get();
  }
};

TEST_F(BufferedWriterTest, AWriteTheBufferCannotTakeIsJournaledAndLaterOnesQueueBehindIt) {
  auto journal = open();
  ScriptedBuffer buffer;
  BufferedWriter writer(buffer, *journal);
  EXPECT_EQ(submit(writer, 1).status, "buffered");

  buffer.fail = Error{Fault::unavailable, "not connected to redis", ""};
  auto down = submit(writer, 2);
  EXPECT_FALSE(down.error);
  EXPECT_EQ(down.status, "journaled");
  // Redis is back, but a write journaled before must reach the buffer first.
  buffer.fail.reset();
  EXPECT_EQ(submit(writer, 3).status, "journaled");
  EXPECT_EQ(buffer.buffered, std::vector<std::string>{transaction(1).id});

  // A write whose fate is unknown (sent, no reply) is journaled as well: the replay's guard
  // makes the second arrival a no-op.
  auto drained = replay_all(*journal);
  ASSERT_EQ(drained.size(), 2u);
  buffer.fail = Error{Fault::outcome_unknown, "no reply within 500 ms", ""};
  EXPECT_EQ(submit(writer, 4).status, "journaled");
}

TEST_F(BufferedWriterTest, ABufferOutOfMemoryIsRefusedNotJournaled) {
  auto journal = open();
  ScriptedBuffer buffer;
  BufferedWriter writer(buffer, *journal);
  buffer.fail = Error{Fault::unavailable, "OOM command not allowed", "OOM"};
  auto full = submit(writer, 1);
  ASSERT_TRUE(full.error);
  EXPECT_EQ(http_status(full.error->kind()), 503);
  EXPECT_FALSE(journal->active());
}

TEST_F(BufferedWriterTest, WhenTheJournalIsFullTooTheAnswerSaysWhatHappened) {
  auto journal = open(64);  // no record fits
  ScriptedBuffer buffer;
  BufferedWriter writer(buffer, *journal);
  buffer.fail = Error{Fault::unavailable, "not connected to redis", ""};
  auto refused = submit(writer, 1);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(http_status(refused.error->kind()), 503);
  EXPECT_EQ(refused.error->code(), "not_accepted") << "nothing reached Redis or the journal";
  EXPECT_EQ(refused.error->details().value("reason", ""), "journal_full");

  // Sent to Redis without a reply, and refused by the journal: its fate is unknown.
  buffer.fail = Error{Fault::outcome_unknown, "no reply within 500 ms", ""};
  auto unknown = submit(writer, 2);
  ASSERT_TRUE(unknown.error);
  EXPECT_EQ(unknown.error->code(), "outcome_unknown");
  EXPECT_FALSE(journal->active());
}

TEST_F(BufferedWriterTest, ARetryOfAJournaledKeyedWriteIsAnsweredFromTheJournal) {
  auto journal = open();
  ScriptedBuffer buffer;
  BufferedWriter writer(buffer, *journal);
  buffer.fail = Error{Fault::unavailable, "not connected to redis", ""};
  EXPECT_EQ(submit(writer, 1, "hash-a").status, "journaled");
  auto retry = submit(writer, 1, "hash-a");
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(retry.status, "journaled");
  auto reused = submit(writer, 1, "hash-b");
  ASSERT_TRUE(reused.error);
  EXPECT_EQ(http_status(reused.error->kind()), 422);
  EXPECT_EQ(journal->stats().pending, 1u) << "a retry is not journaled twice";
}

}  // namespace
}  // namespace opsdb
