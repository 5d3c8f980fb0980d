#pragma once

#include "opsdb/core/result.hpp"

namespace opsdb {

/// Asks a database whether it answers. Succeeds when it did, within the database's deadline.
class DatabaseProbe {
 public:
  virtual ~DatabaseProbe() = default;
  /// `done` runs once, on any thread.
  virtual void probe(Callback<void> done) = 0;
};

}  // namespace opsdb
