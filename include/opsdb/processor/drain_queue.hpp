#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "opsdb/core/lsn.hpp"
#include "opsdb/core/result.hpp"

namespace opsdb {

/// The buffer as the drain sees it. Every operation is asynchronous; an Error means the buffer
/// could not be reached or refused the operation (the drain then pauses and tries again).
class DrainQueue {
 public:
  virtual ~DrainQueue() = default;

  /// Takes or renews the single-drainer lease; true when this process holds it.
  virtual void acquire_lease(Callback<bool> done) = 0;

  /// Up to `count` transaction documents, oldest first, without removing them, after skipping
  /// the `skip` oldest; past the first, no more than `max_bytes` of them.
  virtual void peek_oldest(std::size_t skip, std::size_t count, std::size_t max_bytes,
                           Callback<std::vector<std::string>> done) = 0;

  /// Removes exactly `docs` (the oldest, oldest first) from the buffer and marks `ids` applied
  /// at `lsn` — atomically, and only if they are still the oldest and the lease is still held.
  virtual void mark_applied(std::vector<std::string> docs, std::vector<std::string> ids, Lsn lsn,
                            Callback<void> done) = 0;

  /// Counts a failed attempt of a transaction; the value is the new total.
  virtual void count_failure(const std::string& id, const std::string& error,
                             Callback<int> done) = 0;

  /// Moves the oldest transaction (`doc`) to the dead-letter queue with its error.
  virtual void dead_letter(std::string doc, std::string id, std::string error, int attempts,
                           Callback<void> done) = 0;

  /// Gives the lease up if this process holds it (clean shutdown).
  virtual void release_lease(Callback<void> done) = 0;
};

}  // namespace opsdb
