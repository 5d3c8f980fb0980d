#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/result.hpp"
#include "opsdb/query/record_merge.hpp"

namespace opsdb {

/// Filter and page of `GET /api/transfer/raw-packages`, ordered by (created_at, id), newest
/// first unless `oldest_first`; `after` continues after the last item of the previous page.
struct PackageFilter {
  std::optional<std::string> state;   // waiting, transferring, archived, failed
  std::optional<std::string> status;  // building, complete
  std::optional<std::string> executed_obs_unit_id;
  std::optional<int> instrument_module_id;
  std::optional<std::string> since;        // canonical timestamp, inclusive
  std::optional<std::string> until;        // canonical timestamp, exclusive
  std::optional<std::string> name_prefix;  // case-sensitive prefix of the name
  bool oldest_first = false;
  int limit = 100;
  std::optional<ListPosition> after;

  static constexpr int kMaxLimit = 1000;
};

/// Parses the query string of the package list (`sort=created_desc|created_asc`, `cursor`);
/// throws ApiError(bad_request) naming the parameter.
PackageFilter parse_package_filter(const std::map<std::string, std::string>& query);

/// The opaque cursor of a page's last item.
std::string make_package_cursor(const ListPosition& last);

/// Whether a (merged) package belongs to the list `filter` describes, after its cursor.
bool package_matches(const PackageFilter& filter, const nlohmann::json& package);

/// What the database knows of data packages and their transfers to the archive. Package rows
/// come with `file_count` and `file_size_bytes` over the files this database holds in them.
class TransferCatalog {
 public:
  using Record = nlohmann::json;
  virtual ~TransferCatalog() = default;

  /// Packages matching `filter`, in its order and after its cursor: at most `limit` + 1.
  virtual void packages(const PackageFilter& filter, Callback<std::vector<Record>> done) = 0;
  /// The packages among `ids` (unfiltered, in no order).
  virtual void packages_among(const std::vector<std::string>& ids,
                              Callback<std::vector<Record>> done) = 0;
  /// The totals of the overview:
  /// `packages`: [{state, status, count, size_bytes}] one per (state, status) present,
  /// `transfers_by_status`: {status: count} for every status present,
  /// `active_transfers`: the transfers in progress (at most 100, oldest start first), each
  /// with its package name and its origin and destination location names.
  virtual void totals(Callback<Record> done) = 0;
  /// On the main database, in one transaction: a failed transfer back to `pending`, its status
  /// and error kept as a row of `data_transfer_history` (with `changed_by`). The transfer as it
  /// is now, with `history`: its rows of `data_transfer_history`, newest first; Fault::not_found
  /// when there is none with `id`, Fault::conflict when it is not failed (the message names its
  /// status), Fault::unavailable when the main database is out of reach.
  virtual void reset_transfer(long long id, const std::string& changed_by,
                              Callback<Record> done) = 0;
};

}  // namespace opsdb
