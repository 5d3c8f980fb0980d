#include "opsdb/query/merged_listing.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/query/record_normalization.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;

const BufferedRecord kNothingBuffered;

std::string id_of(const Json& record) {
  auto it = record.find("id");
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// One page of a list, merged from two streams in list order — the buffered records (an index
// set sorted by the order column) and the replica's rows — each read chunk by chunk from where
// it stopped. A merged item is certain once every stream that is not exhausted has been read
// past it; the page is the first limit + 1 certain items. Only filters that a pending update
// can change make a stream need a second chunk.
class MergedListing : public std::enable_shared_from_this<MergedListing> {
 public:
  MergedListing(ListingPlan plan, BufferedRecords* buffer,
                Callback<Read<std::vector<Json>>> done)
      : plan_(std::move(plan)),
        buffer_(buffer),
        done_(std::move(done)),
        chunk_(static_cast<std::size_t>(plan_.limit) + 1) {
    plan_.range.oldest_first = plan_.oldest_first;
    buffered_stream_.exhausted = buffer_ == nullptr;
  }

  void start() {
    if (buffer_ != nullptr && plan_.updatable_filter) return read_update_entries();
    next_round();
  }

 private:
  struct Stream {
    bool exhausted = false;
    bool wanted = true;
    std::optional<ListPosition> frontier;  // position of the last entry read
  };

  // Whether `a` comes before `b` in the list.
  bool before(const ListPosition& a, const ListPosition& b) const {
    return plan_.oldest_first ? a < b : b < a;
  }

  // Records whose filtered column a pending update set to the value asked for: their rows may
  // be on the replica only, with the old value, where its filtered pages do not find them.
  // Their index entries score 0 (an update does not know the order column).
  void read_update_entries() {
    IndexRange range;
    range.table = plan_.table->name;
    range.equals = plan_.updatable_filter;
    range.max_score = 0;
    range.min_score = 0;
    buffer_->indexes({range}, [self = shared_from_this()](auto r) {
      if (!r.ok()) {
        self->drop_buffer();
        return self->next_round();
      }
      std::vector<std::string> ids;
      for (const auto& e : (*r)[0]) ids.push_back(e.id);
      if (ids.empty()) return self->next_round();
      self->read_buffered(ids, [self, ids] {
        self->plan_.replica_among(ids, [self](auto rows) {
          if (!rows.ok()) return self->done_(rows.error());
          for (auto& row : *rows) self->add_replica_row(std::move(row));
          self->next_round();
        });
      });
    });
  }

  void next_round() {
    if (!buffered_stream_.exhausted && buffered_stream_.wanted) return read_buffer_chunk();
    after_buffer_chunk();
  }

  void after_buffer_chunk() {
    if (!replica_stream_.exhausted && replica_stream_.wanted) return read_replica_chunk();
    assemble();
  }

  void read_buffer_chunk() {
    IndexRange range = plan_.range;
    range.offset = offset_;
    range.count = chunk_;
    buffer_->indexes({range}, [self = shared_from_this()](auto r) {
      if (!r.ok()) {
        self->drop_buffer();
        return self->after_buffer_chunk();
      }
      auto& entries = (*r)[0];
      self->advance_buffer_stream(entries);
      std::vector<std::string> ids;
      for (const auto& e : entries) {
        if (!self->buffered_.count(e.id)) ids.push_back(e.id);
      }
      self->read_buffered(ids, [self] { self->after_buffer_chunk(); });
    });
  }

  // The next chunk starts at the score of the last entry, skipping the entries of that score
  // already read (several records may share a microsecond).
  void advance_buffer_stream(const std::vector<IndexEntry>& entries) {
    if (entries.size() < chunk_) buffered_stream_.exhausted = true;
    if (entries.empty()) return;
    const auto last = entries.back().score;
    const auto at_last = static_cast<std::size_t>(std::count_if(
        entries.begin(), entries.end(), [last](const auto& e) { return e.score == last; }));
    auto& bound = plan_.oldest_first ? plan_.range.min_score : plan_.range.max_score;
    offset_ = bound == last ? offset_ + at_last : at_last;
    bound = last;
    const auto time = std::chrono::system_clock::time_point(std::chrono::microseconds(last));
    buffered_stream_.frontier = ListPosition{format_timestamp(time), entries.back().id};
  }

  void read_replica_chunk() {
    plan_.replica_page(
        replica_stream_.frontier, static_cast<int>(chunk_), [self = shared_from_this()](auto rows) {
          if (!rows.ok()) return self->done_(rows.error());
          if (rows->size() < self->chunk_) self->replica_stream_.exhausted = true;
          std::vector<std::string> ids;
          for (auto& row : *rows) {
            auto id = self->add_replica_row(std::move(row));
            self->replica_stream_.frontier =
                list_position(*self->plan_.table, self->replica_.at(id));
            if (!self->buffered_.count(id)) ids.push_back(std::move(id));
          }
          // Pending updates of rows that are only on the replica.
          self->read_buffered(ids, [self] { self->assemble(); });
        });
  }

  std::string add_replica_row(Json row) {
    normalize_record(plan_.table->name, row);
    auto id = id_of(row);
    replica_[id] = std::move(row);
    return id;
  }

  void read_buffered(const std::vector<std::string>& ids, std::function<void()> then) {
    if (buffer_ == nullptr || buffer_unavailable_ || ids.empty()) return then();
    std::vector<RecordRef> refs;
    refs.reserve(ids.size());
    for (const auto& id : ids) refs.push_back({plan_.table->name, id});
    buffer_->records(refs, [self = shared_from_this(), ids, then = std::move(then)](auto r) {
      if (!r.ok()) {
        self->drop_buffer();
      } else {
        for (std::size_t i = 0; i < ids.size() && i < r->size(); ++i) {
          self->buffered_[ids[i]] = std::move((*r)[i]);
        }
      }
      then();
    });
  }

  // The buffer failed: the page comes from the replica alone, marked as possibly incomplete.
  void drop_buffer() {
    buffer_unavailable_ = true;
    buffered_.clear();
    buffered_stream_.exhausted = true;
  }

  void assemble() {
    std::set<std::string> ids;
    for (const auto& [id, row] : replica_) ids.insert(id);
    for (const auto& [id, record] : buffered_) {
      if (record.row) ids.insert(id);
    }
    std::vector<std::pair<ListPosition, Json>> items;
    for (const auto& id : ids) {
      auto row = replica_.find(id);
      auto pending = buffered_.find(id);
      auto merged =
          merge_record(plan_.table->name, row == replica_.end() ? nullptr : &row->second,
                       pending == buffered_.end() ? kNothingBuffered : pending->second);
      if (!merged || !plan_.matches(*merged)) continue;
      auto position = list_position(*plan_.table, *merged);
      items.emplace_back(std::move(position), std::move(*merged));
    }
    std::sort(items.begin(), items.end(),
              [this](const auto& a, const auto& b) { return before(a.first, b.first); });

    // Items at or before the frontier of the open stream that is least far along are final.
    std::optional<ListPosition> bound;
    for (const Stream* s : {&buffered_stream_, &replica_stream_}) {
      if (s->exhausted || !s->frontier) continue;
      if (!bound || before(*s->frontier, *bound)) bound = s->frontier;
    }
    std::size_t certain = items.size();
    if (bound) {
      certain = static_cast<std::size_t>(std::count_if(
          items.begin(), items.end(), [&](const auto& item) { return !before(*bound, item.first); }));
    }
    const auto wanted = static_cast<std::size_t>(plan_.limit) + 1;
    if (certain >= wanted || !bound) return finish(std::move(items), std::min(certain, wanted));

    chunk_ = std::min(chunk_ * 2, kMaxChunk);
    for (Stream* s : {&buffered_stream_, &replica_stream_}) {
      s->wanted = !s->exhausted && s->frontier == bound;
    }
    next_round();
  }

  void finish(std::vector<std::pair<ListPosition, Json>> items, std::size_t count) {
    std::vector<Json> rows;
    rows.reserve(count);
    for (std::size_t i = 0; i < count; ++i) rows.push_back(std::move(items[i].second));
    done_(Read<std::vector<Json>>{std::move(rows), buffer_unavailable_});
  }

  static constexpr std::size_t kMaxChunk = 4000;

  ListingPlan plan_;
  BufferedRecords* buffer_;
  Callback<Read<std::vector<Json>>> done_;
  std::size_t chunk_;
  std::size_t offset_ = 0;
  Stream buffered_stream_;
  Stream replica_stream_;
  std::map<std::string, BufferedRecord> buffered_;
  std::map<std::string, Json> replica_;
  bool buffer_unavailable_ = false;
};

}  // namespace

void read_merged_listing(ListingPlan plan, BufferedRecords* buffer,
                         Callback<Read<std::vector<nlohmann::json>>> done) {
  std::make_shared<MergedListing>(std::move(plan), buffer, std::move(done))->start();
}

}  // namespace opsdb
