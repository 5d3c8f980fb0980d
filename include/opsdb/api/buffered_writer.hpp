#pragma once

#include "opsdb/api/write_sink.hpp"
#include "opsdb/core/log_throttle.hpp"
#include "opsdb/tx/write_buffer.hpp"
#include "opsdb/tx/write_journal.hpp"

namespace opsdb {

/// The secondary site's write path: buffers each transaction durably and reports "buffered" as
/// soon as the buffer confirmed it. Never waits on the main database.
///
/// When the buffer cannot take a write — Redis unreachable, or silent past its deadline — the
/// write goes to the local journal instead and is reported "journaled"; while the journal holds
/// writes not yet replayed into the buffer, every new write is journaled behind them, so the
/// buffer receives writes in the order they were acknowledged. Only a write neither can take
/// is refused. A refusal of the buffer itself (out of memory) is not journaled: it is the
/// operator's signal that the buffer is full.
class BufferedWriter final : public WriteSink {
 public:
  BufferedWriter(WriteBuffer& buffer, WriteJournal& journal)
      : buffer_(buffer), journal_(journal) {}
  void submit(BuiltWrite write, std::function<void(WriteResult)> done) override;

 private:
  /// Journals `write`; `buffer_error` is why the buffer did not take it, if it was tried.
  void journal(BuiltWrite write, std::optional<Error> buffer_error,
               std::function<void(WriteResult)> done);

  WriteBuffer& buffer_;
  WriteJournal& journal_;
  LogThrottle refusals_;  // a full journal refuses every write the same way
};

}  // namespace opsdb
