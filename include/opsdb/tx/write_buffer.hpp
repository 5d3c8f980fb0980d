#pragma once

#include "opsdb/core/result.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// The durable buffer of a secondary site as the write path sees it (DESIGN §5): a transaction
/// is buffered atomically with its record caches, index entries and read-buffer overlays, and
/// `done` succeeds only once the buffer confirmed it.
class WriteBuffer {
 public:
  virtual ~WriteBuffer() = default;
  virtual void enqueue(const Transaction& tx, Callback<void> done) = 0;
};

}  // namespace opsdb
