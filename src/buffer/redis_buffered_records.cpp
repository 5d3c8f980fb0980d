#include "opsdb/buffer/redis_buffered_records.hpp"

#include <cmath>
#include <cstdlib>

#include "opsdb/core/json_text.hpp"
#include "opsdb/redis/redis_client.hpp"
#include "opsdb/redis/redis_error.hpp"

namespace opsdb {
namespace {

// Records and overlay values were written by this program; the depth only guards the parser.
constexpr std::size_t kMaxDepth = 512;

std::optional<nlohmann::json> parse_row(const redis::Reply& reply) {
  if (reply.type != redis::Reply::Type::string) return std::nullopt;
  auto row = parse_json_text(reply.str, kMaxDepth);
  if (!row || !row->is_object()) return std::nullopt;
  return row;
}

// HGETALL of an overlay: field, value, ...; each value is JSON text. `_last_tx` is bookkeeping.
nlohmann::json parse_overlay(const redis::Reply& reply) {
  auto overlay = nlohmann::json::object();
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    const auto& field = reply.elements[i].str;
    if (field == "_last_tx") continue;
    if (auto value = parse_json_text(reply.elements[i + 1].str, kMaxDepth)) {
      overlay[field] = std::move(*value);
    }
  }
  return overlay;
}

std::string score_bound(const std::optional<std::int64_t>& score, const char* unbounded) {
  return score ? std::to_string(*score) : std::string(unbounded);
}

}  // namespace

void RedisBufferedRecords::records(std::vector<RecordRef> refs,
                                   Callback<std::vector<BufferedRecord>> done) {
  if (refs.empty()) return done(std::vector<BufferedRecord>{});
  std::vector<std::vector<std::string>> commands;
  commands.reserve(2 * refs.size());
  for (const auto& ref : refs) {
    commands.push_back({"GET", keys_.record(ref.table, ref.id)});
    commands.push_back({"HGETALL", keys_.overlay(ref.table, ref.id)});
  }
  redis_.transaction(std::move(commands), [n = refs.size(), done = std::move(done)](auto r) {
    if (!r.ok()) return done(redis::to_error(r));
    const auto& replies = r.reply.elements;
    if (replies.size() != 2 * n) {
      return done(Error{Fault::internal, "unexpected reply to reading buffered records", ""});
    }
    std::vector<BufferedRecord> records(n);
    for (std::size_t i = 0; i < n; ++i) {
      records[i].row = parse_row(replies[2 * i]);
      records[i].overlay = parse_overlay(replies[2 * i + 1]);
    }
    done(std::move(records));
  });
}

void RedisBufferedRecords::indexes(std::vector<IndexRange> ranges,
                                   Callback<std::vector<std::vector<IndexEntry>>> done) {
  if (ranges.empty()) return done(std::vector<std::vector<IndexEntry>>{});
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ranges.size());
  for (const auto& range : ranges) {
    auto key = range.equals ? keys_.index(range.table, range.equals->first, range.equals->second)
                            : keys_.listing(range.table);
    auto high = score_bound(range.max_score, "+inf");
    auto low = score_bound(range.min_score, "-inf");
    std::vector<std::string> command =
        range.oldest_first
            ? std::vector<std::string>{"ZRANGEBYSCORE", std::move(key), std::move(low),
                                       std::move(high), "WITHSCORES"}
            : std::vector<std::string>{"ZREVRANGEBYSCORE", std::move(key), std::move(high),
                                       std::move(low), "WITHSCORES"};
    if (range.offset > 0 || range.count > 0) {
      command.insert(command.end(),
                     {"LIMIT", std::to_string(range.offset),
                      range.count > 0 ? std::to_string(range.count) : std::string("-1")});
    }
    commands.push_back(std::move(command));
  }
  redis_.transaction(std::move(commands), [n = ranges.size(), done = std::move(done)](auto r) {
    if (!r.ok()) return done(redis::to_error(r));
    const auto& replies = r.reply.elements;
    if (replies.size() != n) {
      return done(Error{Fault::internal, "unexpected reply to reading buffer indexes", ""});
    }
    std::vector<std::vector<IndexEntry>> result(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& pairs = replies[i].elements;
      result[i].reserve(pairs.size() / 2);
      for (std::size_t j = 0; j + 1 < pairs.size(); j += 2) {
        const double score = std::strtod(pairs[j + 1].str.c_str(), nullptr);
        result[i].push_back({pairs[j].str, static_cast<std::int64_t>(std::llround(score))});
      }
    }
    done(std::move(result));
  });
}

}  // namespace opsdb
