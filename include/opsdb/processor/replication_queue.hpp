#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/lsn.hpp"
#include "opsdb/core/result.hpp"

namespace opsdb {

/// The oldest transaction applied on the main database and not yet seen on the replica.
struct AwaitingReplication {
  Lsn lsn;                                                          // its commit position
  std::optional<std::chrono::system_clock::time_point> applied_at;  // none when not recorded
};

/// The applied transactions awaiting replication, as the LSN tracker sees them.
class ReplicationQueue {
 public:
  virtual ~ReplicationQueue() = default;

  /// The transaction with the smallest LSN still awaiting replication; none when nothing waits.
  virtual void oldest(Callback<std::optional<AwaitingReplication>> done) = 0;

  /// Ids of at most `limit` transactions awaiting replication with an LSN at or below `lsn`.
  virtual void up_to(Lsn lsn, std::size_t limit, Callback<std::vector<std::string>> done) = 0;

  /// Marks transactions replicated: their caches are deleted and their status gets its final
  /// lifetime.
  virtual void mark_replicated(std::vector<std::string> ids, Callback<void> done) = 0;
};

}  // namespace opsdb
