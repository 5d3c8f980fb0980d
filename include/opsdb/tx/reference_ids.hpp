#pragma once

#include <map>
#include <set>
#include <string>

#include "opsdb/core/result.hpp"

namespace opsdb {

/// The ids of reference data (planned in advance and replicated) as the local database has them.
class ReferenceIds {
 public:
  /// Ids per table, for each of `tables`.
  using IdsByTable = std::map<std::string, std::set<long long>>;

  virtual ~ReferenceIds() = default;
  /// Every id of each of `tables` (registry tables). `done` runs once, on any thread.
  virtual void all(const std::set<std::string>& tables, Callback<IdsByTable> done) = 0;
  /// Whether `table` has a row with `id`. `done` runs once, on any thread.
  virtual void exists(const std::string& table, long long id, Callback<bool> done) = 0;
};

}  // namespace opsdb
