#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "opsdb/core/error.hpp"
#include "opsdb/tx/reference_ids.hpp"
#include "opsdb/tx/transaction.hpp"

namespace opsdb {

/// Refuses a write that points at reference data the site does not have (an obs unit or an
/// instrument module that does not exist) before it is executed or buffered, so a client learns
/// of its mistake at once instead of the write ending in the dead-letter queue.
///
/// Reference data is planned in advance and replicated, so the check reads the local database:
/// the ids are kept in memory (refreshed periodically) and an id not seen yet is looked up
/// once. When the local database cannot answer, writes are accepted: the check must never make
/// a write fail that the main database would take.
class ReferenceCheck {
 public:
  explicit ReferenceCheck(ReferenceIds& ids) : ids_(ids) {}

  /// Reloads the known ids (asynchronous). Call at start and periodically.
  void refresh();

  /// `done` gets an unprocessable ApiError naming the first unknown reference, or nullopt.
  void check(const Transaction& tx, std::function<void(std::optional<ApiError>)> done);

 private:
  struct Reference {
    std::string table;   // the referenced table, e.g. "obs_unit"
    std::string column;  // the referencing column, e.g. "obs_unit_id"
    long long id = 0;
  };
  void verify(std::vector<Reference> unknown, std::function<void(std::optional<ApiError>)> done);

  ReferenceIds& ids_;
  std::mutex mutex_;
  bool loaded_ = false;
  ReferenceIds::IdsByTable known_;
};

}  // namespace opsdb
