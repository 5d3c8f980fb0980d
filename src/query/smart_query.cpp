#include "opsdb/query/smart_query.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/query/record_merge.hpp"
#include "opsdb/query/record_normalization.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;
// Buffered state by table, then id.
using BufferedByTable = std::map<std::string, std::map<std::string, BufferedRecord>>;

const BufferedRecord kNothingBuffered;

const BufferedRecord& find_buffered(const BufferedByTable& buffered, const std::string& table,
                                    const std::string& id) {
  auto t = buffered.find(table);
  if (t == buffered.end()) return kNothingBuffered;
  auto r = t->second.find(id);
  return r == t->second.end() ? kNothingBuffered : r->second;
}

const Table& table_of(const std::string& name) { return *SchemaRegistry::instance().table(name); }

std::string id_of(const Json& record) {
  auto it = record.find("id");
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// A child collection embedded in a document: the field, the table of its rows, and the column
// that points at the parent.
struct ChildSpec {
  const char* field;
  const char* table;
  const char* column;
};

constexpr ChildSpec kObservationChildren[] = {
    {"raw_data_files", "raw_data_file", "executed_obs_unit_id"},
    {"raw_data_packages", "raw_data_package", "executed_obs_unit_id"},
    {"instrument_module_configurations", "instrument_module_configuration",
     "executed_obs_unit_id"},
    {"status_changes", "executed_obs_unit_status_change", "executed_obs_unit_id"},
};

constexpr ChildSpec kPackageChildren[] = {
    {"raw_data_files", "raw_data_file", "raw_data_package_id"},
};

using FetchDocument = std::function<void(Callback<std::optional<Json>>)>;

// One record with its child collections: the buffer's candidates (through the children's
// index sets), then the replica's document, then the buffered state of the replica's children
// the buffer did not name (an update of them may be pending), then the replica's rows of
// children that only a pending update made children (a file put into a buffered package),
// then the merge.
class DocumentRead : public std::enable_shared_from_this<DocumentRead> {
 public:
  DocumentRead(std::string table, std::string id, std::span<const ChildSpec> children,
               FetchDocument fetch, ReadStore& database, BufferedRecords* buffer,
               Callback<Read<std::optional<Json>>> done)
      : table_(std::move(table)),
        id_(std::move(id)),
        children_(children),
        fetch_(std::move(fetch)),
        database_(database),
        buffer_(buffer),
        done_(std::move(done)) {}

  void start() {
    if (buffer_ == nullptr) return fetch_database();
    if (children_.empty()) return read_buffered({{table_, id_}});
    std::vector<IndexRange> ranges;
    for (const auto& c : children_) {
      IndexRange range;
      range.table = c.table;
      range.equals = std::pair<std::string, std::string>(c.column, id_);
      ranges.push_back(std::move(range));
    }
    buffer_->indexes(std::move(ranges), [self = shared_from_this()](auto r) {
      if (!r.ok()) return self->without_buffer();
      std::vector<RecordRef> refs{{self->table_, self->id_}};
      for (std::size_t i = 0; i < r->size() && i < self->children_.size(); ++i) {
        for (const auto& entry : (*r)[i]) refs.push_back({self->children_[i].table, entry.id});
      }
      self->read_buffered(std::move(refs));
    });
  }

 private:
  void read_buffered(std::vector<RecordRef> refs) {
    buffer_->records(refs, [self = shared_from_this(), refs](auto r) {
      if (!r.ok()) return self->without_buffer();
      self->store(refs, *r);
      self->fetch_database();
    });
  }

  void store(const std::vector<RecordRef>& refs, std::vector<BufferedRecord>& records) {
    for (std::size_t i = 0; i < refs.size() && i < records.size(); ++i) {
      buffered_[refs[i].table][refs[i].id] = std::move(records[i]);
    }
  }

  void without_buffer() {
    buffer_unavailable_ = true;
    buffered_.clear();
    fetch_database();
  }

  void fetch_database() {
    fetch_([self = shared_from_this()](Result<std::optional<Json>> r) {
      if (!r.ok()) {
        // A record the buffer holds is complete there — everything written about it came after
        // its insert, and the buffer drops nothing before the replica has it — unless a pending
        // update made a replicated record its child.
        if (find_buffered(self->buffered_, self->table_, self->id_).row &&
            self->adopted_children().empty()) {
          return self->finish();
        }
        return self->done_(r.error());
      }
      self->replica_ = std::move(*r);
      self->read_replica_children();
    });
  }

  // Read after the replica, unlike everything else: the ids come from its document. An update
  // of one of these children that reaches the replica in between is in neither answer; a later
  // read shows it.
  void read_replica_children() {
    if (buffer_ == nullptr || buffer_unavailable_ || !replica_) return read_adopted_children();
    std::vector<RecordRef> refs;
    for (const auto& c : children_) {
      auto rows = replica_->find(c.field);
      if (rows == replica_->end() || !rows->is_array()) continue;
      for (const auto& row : *rows) {
        auto id = id_of(row);
        if (!buffered_[c.table].count(id)) refs.push_back({c.table, std::move(id)});
      }
    }
    if (refs.empty()) return read_adopted_children();
    buffer_->records(refs, [self = shared_from_this(), refs](auto r) {
      if (r.ok()) {
        self->store(refs, *r);
      } else {
        self->buffer_unavailable_ = true;
      }
      self->read_adopted_children();
    });
  }

  // Children the buffer knows only by a pending update (no row of theirs is buffered) and the
  // replica's document does not list: their rows are on the replica.
  std::vector<std::pair<std::string, std::vector<std::string>>> adopted_children() const {
    std::vector<std::pair<std::string, std::vector<std::string>>> adopted;
    for (const auto& c : children_) {
      auto pending = buffered_.find(c.table);
      if (pending == buffered_.end()) continue;
      std::set<std::string> listed;
      if (replica_) {
        auto rows = replica_->find(c.field);
        if (rows != replica_->end() && rows->is_array()) {
          for (const auto& row : *rows) listed.insert(id_of(row));
        }
      }
      std::vector<std::string> ids;
      for (const auto& [id, record] : pending->second) {
        if (!record.row && !listed.count(id)) ids.push_back(id);
      }
      if (!ids.empty()) adopted.emplace_back(c.table, std::move(ids));
    }
    return adopted;
  }

  void read_adopted_children() {
    auto adopted = adopted_children();
    if (adopted.empty()) return finish();
    read_rows(std::move(adopted), 0);
  }

  void read_rows(std::vector<std::pair<std::string, std::vector<std::string>>> wanted,
                 std::size_t next) {
    if (next == wanted.size()) return finish();
    const auto& [table, ids] = wanted[next];
    database_.rows(table, ids,
                   [self = shared_from_this(), wanted = std::move(wanted), next](auto r) mutable {
                     if (!r.ok()) return self->done_(r.error());
                     auto& extra = self->adopted_rows_[wanted[next].first];
                     for (auto& row : *r) extra.push_back(std::move(row));
                     self->read_rows(std::move(wanted), next + 1);
                   });
  }

  void finish() {
    auto record = merge_record(table_, replica_ ? &*replica_ : nullptr,
                               find_buffered(buffered_, table_, id_));
    if (record) {
      for (const auto& c : children_) {
        std::vector<Json> rows;
        if (replica_) {
          auto it = replica_->find(c.field);
          if (it != replica_->end() && it->is_array()) rows.assign(it->begin(), it->end());
        }
        auto adopted = adopted_rows_.find(c.table);
        if (adopted != adopted_rows_.end()) {
          rows.insert(rows.end(), adopted->second.begin(), adopted->second.end());
        }
        (*record)[c.field] =
            merge_collection(table_of(c.table), rows, buffered_[c.table], c.column, id_);
      }
    }
    done_(Read<std::optional<Json>>{std::move(record), buffer_unavailable_});
  }

  std::string table_;
  std::string id_;
  std::span<const ChildSpec> children_;
  FetchDocument fetch_;
  ReadStore& database_;
  BufferedRecords* buffer_;
  Callback<Read<std::optional<Json>>> done_;
  BufferedByTable buffered_;
  std::map<std::string, std::vector<Json>> adopted_rows_;
  std::optional<Json> replica_;
  bool buffer_unavailable_ = false;
};

}  // namespace

void SmartQuery::observation(const std::string& id, Callback<Read<std::optional<Record>>> done) {
  auto fetch = [this, id](Callback<std::optional<Json>> cb) {
    database_.observation(id, std::move(cb));
  };
  std::make_shared<DocumentRead>("executed_obs_unit", id, kObservationChildren, std::move(fetch),
                                 database_, buffer_, std::move(done))
      ->start();
}

void SmartQuery::observations(const ObservationFilter& filter,
                              Callback<Read<ObservationPage>> done) {
  ListingPlan plan;
  plan.table = &table_of("executed_obs_unit");
  plan.limit = filter.limit;
  plan.range.table = plan.table->name;
  if (filter.obs_unit_id) {
    plan.range.equals =
        std::pair<std::string, std::string>("obs_unit_id", std::to_string(*filter.obs_unit_id));
  }
  auto lower_max = [&plan](std::int64_t score) {
    plan.range.max_score = plan.range.max_score ? std::min(*plan.range.max_score, score) : score;
  };
  if (filter.until) lower_max(epoch_microseconds(*filter.until).value_or(0) - 1);
  if (filter.cursor) {
    lower_max(epoch_microseconds(cursor_position(*filter.cursor).first).value_or(0));
  }
  if (filter.since) plan.range.min_score = epoch_microseconds(*filter.since);
  if (filter.status) plan.updatable_filter = std::pair<std::string, std::string>("status", *filter.status);
  plan.matches = [filter](const Json& merged) { return matches_filter(filter, merged); };
  plan.replica_page = [this, filter](const std::optional<ListPosition>& after, int count,
                                     Callback<std::vector<Json>> cb) {
    auto page = filter;
    page.limit = count - 1;  // the store reads limit + 1
    if (after) page.cursor = make_cursor(after->time, after->id);
    database_.observations(page, std::move(cb));
  };
  plan.replica_among = [this, filter](const std::vector<std::string>& ids,
                                      Callback<std::vector<Json>> cb) {
    auto unfiltered = filter;
    unfiltered.status.reset();
    database_.observations_among(ids, unfiltered, std::move(cb));
  };
  read_merged_listing(std::move(plan), buffer_,
                      [limit = filter.limit, done = std::move(done)](auto r) {
                        if (!r.ok()) return done(r.error());
                        done(Read<ObservationPage>{
                            make_observation_page(std::move(r->value), limit),
                            r->buffer_unavailable});
                      });
}

void SmartQuery::raw_data_file(const std::string& id, Callback<Read<std::optional<Record>>> done) {
  auto fetch = [this, id](Callback<std::optional<Json>> cb) {
    database_.raw_data_file(id, std::move(cb));
  };
  std::make_shared<DocumentRead>("raw_data_file", id, std::span<const ChildSpec>{},
                                 std::move(fetch), database_, buffer_, std::move(done))
      ->start();
}

void SmartQuery::raw_data_package(const std::string& id,
                                  Callback<Read<std::optional<Record>>> done) {
  auto fetch = [this, id](Callback<std::optional<Json>> cb) {
    database_.raw_data_package(id, std::move(cb));
  };
  std::make_shared<DocumentRead>("raw_data_package", id, kPackageChildren, std::move(fetch),
                                 database_, buffer_, std::move(done))
      ->start();
}

}  // namespace opsdb
