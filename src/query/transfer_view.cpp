#include "opsdb/query/transfer_view.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/query/record_merge.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;

const Table& table_of(const std::string& name) { return *SchemaRegistry::instance().table(name); }

std::string text(const Json& record, const char* field) {
  auto it = record.find(field);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

long long number(const Json& record, const char* field) {
  auto it = record.find(field);
  return it != record.end() && it->is_number_integer() ? it->get<long long>() : 0;
}

std::map<std::string, const Json*> by_id(const std::vector<Json>& rows) {
  std::map<std::string, const Json*> index;
  for (const auto& row : rows) index[text(row, "id")] = &row;
  return index;
}

std::optional<std::int64_t> score_of(const std::string& canonical) {
  return epoch_microseconds(canonical);
}

// A count and its bytes.
struct Bucket {
  long long count = 0;
  long long bytes = 0;
};

// The files of the packages of one page that writes still pending here hold or move: read
// from the buffer (their index sets by package, then their records), then their rows on the
// replica, so each package's file count and size can be corrected by what the merge changes.
class FileTally : public std::enable_shared_from_this<FileTally> {
 public:
  FileTally(ReadStore& database, BufferedRecords& buffer, Read<PackagePage> page,
            Callback<Read<PackagePage>> done)
      : database_(database), buffer_(buffer), page_(std::move(page)), done_(std::move(done)) {}

  void start() {
    std::vector<IndexRange> ranges;
    for (const auto& package : page_.value.items) {
      IndexRange range;
      range.table = "raw_data_file";
      range.equals = std::pair<std::string, std::string>("raw_data_package_id", text(package, "id"));
      ranges.push_back(std::move(range));
    }
    if (ranges.empty()) return done_(std::move(page_));
    buffer_.indexes(std::move(ranges), [self = shared_from_this()](auto r) {
      if (!r.ok()) return self->without_buffer();
      std::set<std::string> ids;
      for (const auto& entries : *r) {
        for (const auto& e : entries) ids.insert(e.id);
      }
      if (ids.empty()) return self->done_(std::move(self->page_));
      self->ids_.assign(ids.begin(), ids.end());
      self->read_buffered();
    });
  }

 private:
  void read_buffered() {
    std::vector<RecordRef> refs;
    for (const auto& id : ids_) refs.push_back({"raw_data_file", id});
    buffer_.records(std::move(refs), [self = shared_from_this()](auto r) {
      if (!r.ok()) return self->without_buffer();
      self->buffered_ = std::move(*r);
      self->database_.rows("raw_data_file", self->ids_, [self](auto rows) {
        if (!rows.ok()) return self->done_(rows.error());
        self->correct(*rows);
      });
    });
  }

  // A file counts where its merged record points; the replica's count counted it where its
  // replica row points. Only files whose package the merge changes correct a count.
  void correct(const std::vector<Json>& replica_rows) {
    const auto replica = by_id(replica_rows);
    std::map<std::string, Bucket> delta;
    for (std::size_t i = 0; i < ids_.size() && i < buffered_.size(); ++i) {
      auto row = replica.find(ids_[i]);
      const Json* on_replica = row == replica.end() ? nullptr : row->second;
      auto merged = merge_record("raw_data_file", on_replica, buffered_[i]);
      const auto counted_in = on_replica ? text(*on_replica, "raw_data_package_id") : "";
      const auto belongs_to = merged ? text(*merged, "raw_data_package_id") : "";
      if (counted_in == belongs_to) continue;
      if (!counted_in.empty()) {
        delta[counted_in].count -= 1;
        delta[counted_in].bytes -= number(*on_replica, "size_bytes");
      }
      if (!belongs_to.empty()) {
        delta[belongs_to].count += 1;
        delta[belongs_to].bytes += number(*merged, "size_bytes");
      }
    }
    for (auto& package : page_.value.items) {
      const auto& d = delta[text(package, "id")];
      package["file_count"] = number(package, "file_count") + d.count;
      package["file_size_bytes"] = number(package, "file_size_bytes") + d.bytes;
    }
    done_(std::move(page_));
  }

  void without_buffer() {
    page_.buffer_unavailable = true;
    done_(std::move(page_));
  }

  ReadStore& database_;
  BufferedRecords& buffer_;
  Read<PackagePage> page_;
  Callback<Read<PackagePage>> done_;
  std::vector<std::string> ids_;
  std::vector<BufferedRecord> buffered_;
};

// Package totals by (state, status).
using Buckets = std::map<std::pair<std::string, std::string>, Bucket>;

void tally(Buckets& buckets, const Json& package, int sign) {
  auto& bucket = buckets[{text(package, "state"), text(package, "status")}];
  bucket.count += sign;
  bucket.bytes += sign * number(package, "size_bytes");
}

Json overview_document(const Json& totals, const Buckets& buckets) {
  Json by_state = Json::object(), by_status = Json::object(), bytes = Json::object();
  long long total = 0;
  for (const auto& [key, bucket] : buckets) {
    if (bucket.count == 0) continue;
    const auto& [state, status] = key;
    by_state[state] = by_state.value(state, 0LL) + bucket.count;
    by_status[status] = by_status.value(status, 0LL) + bucket.count;
    bytes[state] = bytes.value(state, 0LL) + bucket.bytes;
    total += bucket.count;
  }
  return {{"packages",
           {{"total", total}, {"by_state", by_state}, {"by_status", by_status},
            {"size_bytes_by_state", bytes}}},
          {"transfers_by_status", totals.value("transfers_by_status", Json::object())},
          {"active_transfers", totals.value("active_transfers", Json::array())}};
}

Buckets buckets_of(const Json& totals) {
  Buckets buckets;
  for (const auto& row : totals.value("packages", Json::array())) {
    auto& bucket = buckets[{text(row, "state"), text(row, "status")}];
    bucket.count += number(row, "count");
    bucket.bytes += number(row, "size_bytes");
  }
  return buckets;
}

// The overview at a secondary site: the buffered packages (every one of them, through the
// listing of the table, and those a pending update changed, through the status index), then
// the catalogue's totals and its rows of those packages; each buffered package moves from the
// bucket of its replica row (if any) to the bucket of its merged record. A package that
// replicates between the two catalogue reads can be off by one until the next overview.
class Overview : public std::enable_shared_from_this<Overview> {
 public:
  Overview(TransferCatalog& catalog, BufferedRecords& buffer, Callback<Read<Json>> done)
      : catalog_(catalog), buffer_(buffer), done_(std::move(done)) {}

  void start() {
    std::vector<IndexRange> ranges(1);
    ranges[0].table = "raw_data_package";
    for (const auto& status : {"building", "complete"}) {
      IndexRange range;
      range.table = "raw_data_package";
      range.equals = std::pair<std::string, std::string>("status", status);
      range.min_score = 0;
      range.max_score = 0;
      ranges.push_back(std::move(range));
    }
    buffer_.indexes(std::move(ranges), [self = shared_from_this()](auto r) {
      if (!r.ok()) return self->read_catalog(true);
      std::set<std::string> ids;
      for (const auto& entries : *r) {
        for (const auto& e : entries) ids.insert(e.id);
      }
      self->ids_.assign(ids.begin(), ids.end());
      if (self->ids_.empty()) return self->read_catalog(false);
      std::vector<RecordRef> refs;
      for (const auto& id : self->ids_) refs.push_back({"raw_data_package", id});
      self->buffer_.records(std::move(refs), [self](auto records) {
        if (!records.ok()) return self->read_catalog(true);
        self->buffered_ = std::move(*records);
        self->read_catalog(false);
      });
    });
  }

 private:
  void read_catalog(bool buffer_failed) {
    if (buffer_failed) {
      buffer_unavailable_ = true;
      ids_.clear();
      buffered_.clear();
    }
    catalog_.totals([self = shared_from_this()](Result<Json> totals) {
      if (!totals.ok()) return self->done_(totals.error());
      self->totals_ = std::move(*totals);
      if (self->ids_.empty()) return self->finish({});
      self->catalog_.packages_among(self->ids_, [self](auto rows) {
        if (!rows.ok()) return self->done_(rows.error());
        self->finish(*rows);
      });
    });
  }

  void finish(const std::vector<Json>& replica_rows) {
    auto buckets = buckets_of(totals_);
    const auto replica = by_id(replica_rows);
    for (std::size_t i = 0; i < ids_.size() && i < buffered_.size(); ++i) {
      auto row = replica.find(ids_[i]);
      const Json* on_replica = row == replica.end() ? nullptr : row->second;
      if (on_replica != nullptr) tally(buckets, *on_replica, -1);
      if (auto merged = merge_record("raw_data_package", on_replica, buffered_[i])) {
        tally(buckets, *merged, +1);
      }
    }
    done_(Read<Json>{overview_document(totals_, buckets), buffer_unavailable_});
  }

  TransferCatalog& catalog_;
  BufferedRecords& buffer_;
  Callback<Read<Json>> done_;
  std::vector<std::string> ids_;
  std::vector<BufferedRecord> buffered_;
  Json totals_;
  bool buffer_unavailable_ = false;
};

}  // namespace

void TransferView::packages(const PackageFilter& filter, Callback<Read<PackagePage>> done) {
  ListingPlan plan;
  plan.table = &table_of("raw_data_package");
  plan.limit = filter.limit;
  plan.oldest_first = filter.oldest_first;
  plan.range.table = plan.table->name;
  if (filter.executed_obs_unit_id) {
    plan.range.equals = std::pair<std::string, std::string>("executed_obs_unit_id",
                                                            *filter.executed_obs_unit_id);
  }
  // Scores are microseconds of created_at; the cursor's own score stays in (ties by id).
  std::optional<std::int64_t> low = filter.since ? score_of(*filter.since) : std::nullopt;
  std::optional<std::int64_t> high;
  if (filter.until) high = score_of(*filter.until).value_or(0) - 1;
  if (filter.after) {
    const auto at = score_of(filter.after->time).value_or(0);
    auto& bound = filter.oldest_first ? low : high;
    bound = bound ? (filter.oldest_first ? std::max(*bound, at) : std::min(*bound, at)) : at;
  }
  plan.range.min_score = low;
  plan.range.max_score = high;
  if (filter.status) {
    plan.updatable_filter = std::pair<std::string, std::string>("status", *filter.status);
  }
  plan.matches = [filter](const Json& merged) { return package_matches(filter, merged); };
  plan.replica_page = [this, filter](const std::optional<ListPosition>& after, int count,
                                     Callback<std::vector<Json>> cb) {
    auto page = filter;
    page.limit = count - 1;  // the catalogue reads limit + 1
    if (after) page.after = after;
    catalog_.packages(page, std::move(cb));
  };
  plan.replica_among = [this](const std::vector<std::string>& ids,
                              Callback<std::vector<Json>> cb) {
    catalog_.packages_among(ids, std::move(cb));
  };
  read_merged_listing(
      std::move(plan), buffer_,
      [this, filter, done = std::move(done)](Result<Read<std::vector<Json>>> r) mutable {
        if (!r.ok()) return done(r.error());
        Read<PackagePage> page;
        page.buffer_unavailable = r->buffer_unavailable;
        auto& items = r->value;
        if (static_cast<int>(items.size()) > filter.limit) {
          items.resize(filter.limit);
          page.value.next_cursor =
              make_package_cursor(list_position(table_of("raw_data_package"), items.back()));
        }
        page.value.items = std::move(items);
        if (buffer_ == nullptr || page.buffer_unavailable) return done(std::move(page));
        std::make_shared<FileTally>(database_, *buffer_, std::move(page), std::move(done))
            ->start();
      });
}

void TransferView::overview(Callback<Read<Json>> done) {
  if (buffer_ == nullptr) {
    return catalog_.totals([done = std::move(done)](Result<Json> totals) {
      if (!totals.ok()) return done(totals.error());
      done(Read<Json>{overview_document(*totals, buckets_of(*totals)), false});
    });
  }
  std::make_shared<Overview>(catalog_, *buffer_, std::move(done))->start();
}

}  // namespace opsdb
