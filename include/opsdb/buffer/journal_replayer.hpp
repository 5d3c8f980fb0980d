#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "opsdb/buffer/file_journal.hpp"
#include "opsdb/tx/write_buffer.hpp"

namespace opsdb {

struct ReplayOptions {
  /// Pause after a record the buffer did not take, doubled up to `retry_max`.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{2000};
  /// Longest wait for the buffer's answer to one record (its own deadline is far shorter).
  std::chrono::milliseconds answer_limit{30000};
};

/// Moves journaled writes into the buffer, oldest first, one at a time, on a thread of its own:
/// each record goes in through the buffer's guarded enqueue (the key's marker, or the
/// transaction's status hash), so a record the buffer already holds — taken before the journal
/// got it, or replayed before a crash — is not buffered twice. A record the buffer refuses is
/// retried, with backoff, until it is taken: the order of the buffer is the order of the
/// journal.
class JournalReplayer {
 public:
  JournalReplayer(FileJournal& journal, WriteBuffer& buffer, ReplayOptions options = {});
  ~JournalReplayer();
  JournalReplayer(const JournalReplayer&) = delete;
  JournalReplayer& operator=(const JournalReplayer&) = delete;

  void start();
  /// Ends the thread; a record in flight is replayed again after the next start.
  void stop();

 private:
  void run();
  /// Replays one record; the error when the buffer did not take it.
  std::optional<Error> replay(const JournalRecord& record);
  void pause(std::chrono::milliseconds delay);

  FileJournal& journal_;
  WriteBuffer& buffer_;
  const ReplayOptions options_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace opsdb
