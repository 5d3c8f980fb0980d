#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/lsn.hpp"

namespace opsdb {

/// The buffer as the drain sees it. Every operation is asynchronous; a non-empty `error` means
/// the buffer (Redis) could not be reached or refused the operation.
class DrainQueue {
 public:
  using Done = std::function<void(std::string error)>;

  virtual ~DrainQueue() = default;

  /// Takes or renews the single-drainer lease; `held` tells whether this process holds it.
  virtual void acquire_lease(std::function<void(bool held, std::string error)> done) = 0;

  /// `count` transaction documents, oldest first, without removing them, after skipping the
  /// `skip` oldest.
  virtual void peek_oldest(
      std::size_t skip, std::size_t count,
      std::function<void(std::vector<std::string> docs, std::string error)> done) = 0;

  /// Removes exactly `docs` (the oldest, oldest first) from the buffer and marks `ids` applied
  /// at `lsn` — atomically, and only if they are still the oldest and the lease is still held.
  virtual void mark_applied(std::vector<std::string> docs, std::vector<std::string> ids,
                            Lsn lsn, Done done) = 0;

  /// Counts a failed attempt of a transaction; `attempts` is the new total.
  virtual void count_failure(const std::string& id, const std::string& error,
                             std::function<void(int attempts, std::string error)> done) = 0;

  /// Moves the oldest transaction (`doc`) to the dead-letter queue with its error.
  virtual void dead_letter(std::string doc, std::string id, std::string error, int attempts,
                           Done done) = 0;
};

}  // namespace opsdb
