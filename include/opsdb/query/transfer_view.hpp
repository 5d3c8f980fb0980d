#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/result.hpp"
#include "opsdb/query/buffered_records.hpp"
#include "opsdb/query/merged_listing.hpp"
#include "opsdb/query/read_store.hpp"
#include "opsdb/query/transfer_catalog.hpp"

namespace opsdb {

/// One page of the package list and the cursor of the next one.
struct PackagePage {
  std::vector<nlohmann::json> items;
  std::optional<std::string> next_cursor;
};

/// The transfer pipeline as the web UI sees it: the catalogue's packages and totals merged with
/// the packages and files still buffered at this site, so a package registered during an outage
/// is listed and counted at once (DESIGN §8: the buffer is read first, the replica after).
class TransferView {
 public:
  /// All must outlive the object; `buffer` is null at the main site.
  TransferView(TransferCatalog& catalog, ReadStore& database, BufferedRecords* buffer)
      : catalog_(catalog), database_(database), buffer_(buffer) {}

  /// One page of packages, each with `file_count` and `file_size_bytes` over its files as
  /// merged.
  void packages(const PackageFilter& filter, Callback<Read<PackagePage>> done);

  /// Packages counted by state and by status with their bytes by state, and the catalogue's
  /// transfers by status and active transfers (DESIGN §9, `GET /api/transfer/overview`).
  void overview(Callback<Read<nlohmann::json>> done);

  /// A failed transfer back to pending, on the main database (TransferCatalog::reset_transfer).
  void reset_transfer(long long id, const std::string& changed_by,
                      Callback<nlohmann::json> done) {
    catalog_.reset_transfer(id, changed_by, std::move(done));
  }

 private:
  TransferCatalog& catalog_;
  ReadStore& database_;
  BufferedRecords* buffer_;
};

}  // namespace opsdb
