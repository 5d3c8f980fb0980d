#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "opsdb/core/result.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// A write kept by the local journal: its transaction and, for a write with an
/// Idempotency-Key, the hash of its request (so a retry is still answered as one).
struct JournaledWrite {
  Transaction tx;
  std::optional<std::string> request_hash;
};

/// Figures of the journal for /health and /buffer-stats.
struct JournalStats {
  std::size_t pending = 0;      // writes not yet replayed into the buffer
  std::uint64_t bytes = 0;      // size of the file
  std::uint64_t max_bytes = 0;  // JOURNAL_MAX_BYTES
};

/// The secondary site's last line of defence (DESIGN §9): while the buffer (Redis) cannot take
/// writes, they are appended to a local file, durably, and replayed into the buffer in order
/// once it is back.
class WriteJournal {
 public:
  virtual ~WriteJournal() = default;
  /// True while journaled writes wait to be replayed into the buffer: a new write must then be
  /// journaled too, behind them, so that the buffer receives writes in the order they were
  /// acknowledged.
  virtual bool active() const = 0;
  /// Appends `write` and calls `done` once it is on disk (fsynced). Fault::unavailable with code
  /// "journal_full" when the journal has no room for it, or with the I/O error's words.
  virtual void append(JournaledWrite write, Callback<void> done) = 0;
  /// Whether the transaction waits in the journal, and if so the request hash it carries (empty
  /// for a write without a key).
  virtual std::optional<std::string> find(const std::string& transaction_id) const = 0;
  virtual JournalStats stats() const = 0;
};

}  // namespace opsdb
