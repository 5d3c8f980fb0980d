#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "opsdb/core/result.hpp"

namespace opsdb {

/// What the pending writes of this site say about one record: the row a pending insert wrote
/// (none if no insert of it is pending) and the fields pending updates set on it (an empty
/// object if none).
struct BufferedRecord {
  std::optional<nlohmann::json> row;
  nlohmann::json overlay = nlohmann::json::object();
};

/// One record of a table, by id.
struct RecordRef {
  std::string table;
  std::string id;
};

/// A stretch of one index of buffered records, newest first (oldest first when asked). Scores are the microseconds since
/// the epoch of the table's order column; an entry that an update wrote (the update did not know
/// that time) scores 0.
struct IndexRange {
  std::string table;
  /// The index of `column` = `value`; none: the listing of every buffered record of the table.
  std::optional<std::pair<std::string, std::string>> equals;
  std::optional<std::int64_t> max_score;  ///< inclusive; none: no upper bound
  std::optional<std::int64_t> min_score;  ///< inclusive; none: no lower bound
  std::size_t offset = 0;                 ///< entries of the range to skip
  std::size_t count = 0;                  ///< at most this many; 0: all
  bool oldest_first = false;              ///< lowest score first (then the lowest id)
};

struct IndexEntry {
  std::string id;
  std::int64_t score = 0;
};

/// The records that writes still pending at this site hold in the buffer, found by id or
/// through their indexes; never by a scan. Each call is one round trip to the buffer and reads
/// one consistent moment of it.
class BufferedRecords {
 public:
  virtual ~BufferedRecords() = default;

  /// The buffered state of each record in `refs`, in the order asked.
  virtual void records(std::vector<RecordRef> refs, Callback<std::vector<BufferedRecord>> done) = 0;

  /// The entries of each range, in the order asked; each newest first (highest score, then the
  /// highest id) unless the range asks for oldest first.
  virtual void indexes(std::vector<IndexRange> ranges,
                       Callback<std::vector<std::vector<IndexEntry>>> done) = 0;
};

}  // namespace opsdb
