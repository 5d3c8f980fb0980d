#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "opsdb/buffer/redis_keys.hpp"
#include "opsdb/core/result.hpp"

namespace opsdb::redis {
class RedisClient;
}

namespace opsdb {

/// The cache entries one transaction wrote at enqueue — record caches, index entries, read-buffer
/// overlays — as its status hash lists them (field `cache_keys`), so that they can be deleted
/// once the write has reached the replica. They never change after the enqueue, so reading
/// them before the script that deletes them races with nothing.
class TransactionCaches {
 public:
  void add_record(std::string key) { records_.push_back(std::move(key)); }
  void add_index(std::string key, std::string member) {
    index_.emplace_back(std::move(key), std::move(member));
  }
  void add_overlay(std::string key) { overlays_.push_back(std::move(key)); }

  /// The text of the `cache_keys` field.
  std::string to_spec() const;
  /// From the text of the `cache_keys` field; none when it is missing or unreadable.
  static TransactionCaches from_spec(std::string_view spec);

  /// Appends these caches as the cache group of transaction `id`, whose status hash is
  /// `status_key`, to a script's KEYS and ARGV (the layout of lua/cache_groups.lua).
  void append_group(const std::string& status_key, const std::string& id,
                    std::vector<std::string>& keys, std::vector<std::string>& args) const;

  /// These caches without their record caches and index entries: what is left once
  /// `delete_records_and_index` removed those.
  TransactionCaches overlays_only() const;

  /// Deletes the record caches and index entries of `caches` with plain commands, a bounded
  /// number of keys per Redis call, one call after the other, so that cleaning up after a
  /// transaction of thousands of files never blocks Redis for long. Only for transactions that
  /// have replicated: their caches are no longer needed, whatever happens next. Overlays stay
  /// with the script that checks which write touched them last.
  static void delete_records_and_index(redis::RedisClient& redis,
                                       const std::vector<TransactionCaches>& caches,
                                       Callback<void> done);

  /// The caches of the transactions `ids`, in that order, read in one round trip.
  static void read(redis::RedisClient& redis, const RedisKeys& keys,
                   const std::vector<std::string>& ids,
                   Callback<std::vector<TransactionCaches>> done);

 private:
  std::vector<std::string> records_;
  std::vector<std::pair<std::string, std::string>> index_;  // set key, member
  std::vector<std::string> overlays_;
};

}  // namespace opsdb
