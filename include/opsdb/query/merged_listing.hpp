#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "opsdb/core/result.hpp"
#include "opsdb/query/buffered_records.hpp"
#include "opsdb/query/record_merge.hpp"

namespace opsdb {

struct Table;

/// A read's answer, and whether every source it wanted answered.
template <typename T>
struct Read {
  T value;
  /// The buffer could not be read: writes still pending at this site may be missing.
  bool buffer_unavailable = false;
};

/// How one keyset-paginated list reads its two sources at a secondary site: the buffered
/// records through one of their index sets, and the replica's rows page by page.
struct ListingPlan {
  using Record = nlohmann::json;

  const Table* table = nullptr;
  /// The buffered stream: an index set of `table` (or its listing), with the score bounds the
  /// filter and the cursor allow. Its order follows `oldest_first`.
  IndexRange range{};
  /// List order by (order column, id): newest first unless set.
  bool oldest_first = false;
  int limit = 100;
  /// A filter `column = value` that a pending update can satisfy: such records may be on the
  /// replica with the old value, so the replica's filtered pages miss them. They are found
  /// through the entries updates add to the column's index set (score 0).
  std::optional<std::pair<std::string, std::string>> updatable_filter{};
  /// Whether a merged record belongs to the list: every filter, and after the cursor.
  std::function<bool(const Record&)> matches{};
  /// The replica's rows of the list after `after` (none: from the start), filtered and in
  /// list order: at most `count`.
  std::function<void(const std::optional<ListPosition>& after, int count,
                     Callback<std::vector<Record>> done)>
      replica_page{};
  /// The replica's rows among `ids`, whatever their values; they go through `matches` after
  /// the merge.
  std::function<void(const std::vector<std::string>& ids, Callback<std::vector<Record>> done)>
      replica_among{};
};

/// The first `limit` + 1 records of the list `plan` describes, merged from the buffer and the
/// replica (DESIGN §8) in list order. Without a buffer the replica's pages alone. The buffer is
/// read first and the replica after, chunk by chunk, until the page is certain: every stream
/// not exhausted has been read past it. A buffer that fails leaves the replica's answer marked
/// `buffer_unavailable`; a replica that fails fails the list.
void read_merged_listing(ListingPlan plan, BufferedRecords* buffer,
                         Callback<Read<std::vector<nlohmann::json>>> done);

}  // namespace opsdb
