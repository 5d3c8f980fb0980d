#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "opsdb/tx/write_journal.hpp"

namespace opsdb {

struct JournalOptions {
  std::string path;
  std::uint64_t max_bytes = 1ull << 30;
};

/// One record read back for the replay, and where the next one starts.
struct JournalRecord {
  JournaledWrite write;
  std::uint64_t next_offset = 0;
};

/// The write journal as an append-only file (DESIGN §9).
///
/// Format: a sequence of records, each a 12-byte header — magic "OPJ1", payload length and
/// CRC-32 of the payload, both little-endian uint32 — followed by the payload, a JSON document
/// {"tx": <transaction>, "request_hash": <string or null>}. A record is acknowledged only after
/// the file was fsynced with it; appends that arrive while an fsync runs are written and synced
/// together by the next one (group commit), on a thread of the journal's own, so no caller
/// ever waits on the disk.
///
/// Opening the file checks every record: the first one that is short, has a bad header or a bad
/// checksum ends the valid part (a write torn by a power cut); the rest is moved aside to
/// "<path>.damaged-<time>" for an operator and cut off.
///
/// The replay reads records in order (`next`), and reports each one taken by the buffer
/// (`replayed`); once the last record is replayed and nothing is being appended, the file is
/// emptied. A crash in between replays the file from its start again, which the buffer makes a
/// no-op for what it already holds.
class FileJournal final : public WriteJournal {
 public:
  /// Opens (or creates) the journal; throws std::runtime_error when the file cannot be used.
  explicit FileJournal(JournalOptions options);
  ~FileJournal() override;
  FileJournal(const FileJournal&) = delete;
  FileJournal& operator=(const FileJournal&) = delete;

  bool active() const override;
  void append(JournaledWrite write, Callback<void> done) override;
  std::optional<std::string> find(const std::string& transaction_id) const override;

  /// The oldest record not yet replayed, none when there is none.
  std::optional<JournalRecord> next();
  /// `record`, the one `next` returned, is in the buffer now.
  void replayed(const JournalRecord& record);
  /// Waits up to `limit` for a record to replay; true if there is one.
  bool wait_for_record(std::chrono::milliseconds limit);
  /// Wakes every waiter of `wait_for_record`, and keeps it from waiting until `resume`.
  void interrupt();
  void resume();

  JournalStats stats() const override;
  const std::string& path() const { return options_.path; }

 private:
  struct Append {
    std::string bytes;
    std::string transaction_id;
    std::string request_hash;
    Callback<void> done;
  };

  void recover();
  void write_loop();
  void empty_file();

  const JournalOptions options_;
  int fd_ = -1;

  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable wake_replay_;
  std::deque<Append> queue_;
  std::uint64_t queued_bytes_ = 0;
  bool writing_ = false;
  bool stopping_ = false;
  bool interrupted_ = false;
  std::uint64_t end_ = 0;            // durable end of the file
  std::uint64_t replay_offset_ = 0;  // start of the oldest record not replayed
  std::unordered_map<std::string, std::string> waiting_;  // transaction id → request hash
  std::size_t records_ = 0;  // not yet replayed
  std::size_t replayed_since_empty_ = 0;
  std::thread writer_;
};

/// The record format on its own, for the tests and the fuzz target: `encode_journal_record`
/// frames a payload; `decode_journal_record` reads the record at the start of `data` and returns
/// its payload and length, or none when the bytes are not a whole, intact record.
std::string encode_journal_record(const std::string& payload);
struct DecodedRecord {
  std::string payload;
  std::size_t size = 0;
};
std::optional<DecodedRecord> decode_journal_record(std::string_view data);

}  // namespace opsdb
