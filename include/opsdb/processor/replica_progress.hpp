#pragma once

#include <optional>

#include "opsdb/core/lsn.hpp"
#include "opsdb/core/result.hpp"

namespace opsdb {

/// How far the local replica has replayed the main database's WAL.
class ReplicaProgress {
 public:
  virtual ~ReplicaProgress() = default;
  /// The last replayed position; none when the database reports none (it is not replaying).
  /// `done` may run on any thread.
  virtual void replay_lsn(Callback<std::optional<Lsn>> done) = 0;
};

}  // namespace opsdb
