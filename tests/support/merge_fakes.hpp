#pragma once

// The two sources of reads at a secondary site, in memory: a buffer that behaves like the Redis
// layout enqueue writes (rows, overlays, index sets scored by the order column, 0 for entries
// an update wrote, ties in reverse id order), and a replica queried as the project's SQL does.

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "opsdb/core/timestamp.hpp"
#include "opsdb/query/buffered_records.hpp"
#include "opsdb/query/read_store.hpp"
#include "opsdb/query/record_merge.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb::test {

using nlohmann::json;

inline const Table& table(const std::string& name) { return *SchemaRegistry::instance().table(name); }

inline std::string text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

inline Error down_error(const char* what) { return Error{Fault::unavailable, std::string(what) + " down", ""}; }

// The buffer as enqueue leaves it: rows, overlays and index sets scored by the order column
// (0 for entries an update wrote).
class FakeBuffer final : public BufferedRecords {
 public:
  bool down = false;

  void insert(const std::string& t, const json& row) {
    const auto& tab = table(t);
    const std::string id = row["id"];
    rows_[t][id] = row;
    auto score = epoch_microseconds(row[tab.order_column].get<std::string>()).value();
    if (tab.listed) sets_[key(t, std::nullopt)][id] = score;
    for (const auto& c : tab.columns) {
      if (c.indexed && row.contains(c.name) && !row[c.name].is_null()) {
        sets_[key(t, std::pair{c.name, text(row[c.name])})][id] = score;
      }
    }
  }
  void update(const std::string& t, const std::string& id, const json& set) {
    for (const auto& [field, value] : set.items()) {
      overlays_[t][id][field] = value;
      const Column* c = table(t).column(field);
      if (c && c->indexed && !value.is_null()) {
        sets_[key(t, std::pair{field, text(value)})].try_emplace(id, 0);
      }
    }
  }
  // The caches of a record once its writes have replicated.
  void forget(const std::string& t, const std::string& id) {
    rows_[t].erase(id);
    overlays_[t].erase(id);
    for (auto& [k, members] : sets_) {
      if (k.rfind(t + "|", 0) == 0) members.erase(id);
    }
  }
  std::optional<json> row(const std::string& t, const std::string& id) const {
    auto it = rows_.find(t);
    if (it == rows_.end() || !it->second.count(id)) return std::nullopt;
    return it->second.at(id);
  }
  json overlay(const std::string& t, const std::string& id) const {
    auto it = overlays_.find(t);
    if (it == overlays_.end() || !it->second.count(id)) return json::object();
    return it->second.at(id);
  }

  void records(std::vector<RecordRef> refs, Callback<std::vector<BufferedRecord>> done) override {
    if (down) return done(down_error("redis"));
    std::vector<BufferedRecord> out;
    for (const auto& r : refs) out.push_back({row(r.table, r.id), overlay(r.table, r.id)});
    done(std::move(out));
  }
  void indexes(std::vector<IndexRange> ranges,
               Callback<std::vector<std::vector<IndexEntry>>> done) override {
    if (down) return done(down_error("redis"));
    std::vector<std::vector<IndexEntry>> out;
    for (const auto& range : ranges) {
      std::vector<IndexEntry> entries;
      for (const auto& [id, score] : sets_[key(range.table, range.equals)]) {
        if (range.max_score && score > *range.max_score) continue;
        if (range.min_score && score < *range.min_score) continue;
        entries.push_back({id, score});
      }
      std::sort(entries.begin(), entries.end(), [&range](const auto& a, const auto& b) {
        return range.oldest_first ? std::tie(a.score, a.id) < std::tie(b.score, b.id)
                                  : std::tie(a.score, a.id) > std::tie(b.score, b.id);
      });
      entries.erase(entries.begin(),
                    entries.begin() + std::min(range.offset, entries.size()));
      if (range.count > 0 && entries.size() > range.count) entries.resize(range.count);
      out.push_back(std::move(entries));
    }
    done(std::move(out));
  }

 private:
  static std::string key(const std::string& t,
                         const std::optional<std::pair<std::string, std::string>>& equals) {
    return t + "|" + (equals ? equals->first + "=" + equals->second : "*");
  }
  std::map<std::string, std::map<std::string, json>> rows_, overlays_;
  std::map<std::string, std::map<std::string, std::int64_t>> sets_;
};

// The replica: tables of rows, queried as the project's SQL does.
class FakeReplica final : public ReadStore {
 public:
  bool down = false;
  std::map<std::string, std::map<std::string, json>> tables;

  void observation(const std::string& id, Callback<std::optional<Record>> done) override {
    if (down) return done(down_error("replica"));
    if (!tables["executed_obs_unit"].count(id)) return done(std::optional<Record>());
    json doc = tables["executed_obs_unit"][id];
    doc["raw_data_files"] = children("raw_data_file", "executed_obs_unit_id", id);
    doc["raw_data_packages"] = children("raw_data_package", "executed_obs_unit_id", id);
    doc["instrument_module_configurations"] =
        children("instrument_module_configuration", "executed_obs_unit_id", id);
    doc["status_changes"] = children("executed_obs_unit_status_change", "executed_obs_unit_id", id);
    done(std::optional<Record>(doc));
  }
  void observations(const ObservationFilter& f, Callback<std::vector<Record>> done) override {
    if (down) return done(down_error("replica"));
    auto rows = matching(f, nullptr);
    if (rows.size() > static_cast<std::size_t>(f.limit) + 1) rows.resize(f.limit + 1);
    done(std::move(rows));
  }
  void observations_among(const std::vector<std::string>& ids, const ObservationFilter& f,
                          Callback<std::vector<Record>> done) override {
    if (down) return done(down_error("replica"));
    std::set<std::string> among(ids.begin(), ids.end());
    done(matching(f, &among));
  }
  void rows(const std::string& t, const std::vector<std::string>& ids,
            Callback<std::vector<Record>> done) override {
    if (down) return done(down_error("replica"));
    std::vector<Record> out;
    for (const auto& id : ids) {
      if (tables[t].count(id)) out.push_back(tables[t][id]);
    }
    done(std::move(out));
  }
  void raw_data_file(const std::string& id, Callback<std::optional<Record>> done) override {
    if (down) return done(down_error("replica"));
    auto& t = tables["raw_data_file"];
    done(t.count(id) ? std::optional<Record>(t[id]) : std::nullopt);
  }
  void raw_data_package(const std::string& id, Callback<std::optional<Record>> done) override {
    if (down) return done(down_error("replica"));
    auto& t = tables["raw_data_package"];
    if (!t.count(id)) return done(std::optional<Record>());
    json doc = t[id];
    doc["raw_data_files"] = children("raw_data_file", "raw_data_package_id", id);
    done(std::optional<Record>(doc));
  }

 private:
  json children(const std::string& t, const std::string& column, const std::string& id) {
    json out = json::array();
    for (const auto& [child_id, row] : tables[t]) {
      if (row.value(column, json()) == id) out.push_back(row);
    }
    return out;
  }
  std::vector<Record> matching(const ObservationFilter& f, const std::set<std::string>* among) {
    std::vector<Record> rows;
    for (const auto& [id, row] : tables["executed_obs_unit"]) {
      if (among && !among->count(id)) continue;
      if (matches_filter(f, row)) rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
      return std::tie(a["start_time"].get_ref<const std::string&>(), a["id"].get_ref<const std::string&>()) >
             std::tie(b["start_time"].get_ref<const std::string&>(), b["id"].get_ref<const std::string&>());
    });
    return rows;
  }
};

inline std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
  return buf;
}

inline std::string at_second(int s) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "2026-11-25T16:%02d:%02d.000000Z", s / 60, s % 60);
  return buf;
}

}  // namespace opsdb::test
