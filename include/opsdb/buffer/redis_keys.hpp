#pragma once

#include <string>

namespace opsdb {

/// Every Redis key name of a site (DESIGN §5), in one place. All keys share the prefix
/// `site:{SITE_NAME}:`.
class RedisKeys {
 public:
  explicit RedisKeys(const std::string& site_name) : prefix_("site:" + site_name + ":") {}

  const std::string& prefix() const { return prefix_; }
  std::string buffer() const { return prefix_ + "transaction_buffer"; }
  std::string status(const std::string& tx_id) const { return prefix_ + "transaction:" + tx_id; }
  /// Marks the transaction of an Idempotency-Key as buffered, holding its request hash, for the
  /// key horizon.
  std::string idempotency(const std::string& tx_id) const {
    return prefix_ + "idempotency:" + tx_id;
  }
  std::string record(const std::string& table, const std::string& id) const {
    return prefix_ + "buffered:" + table + ":" + id;
  }
  std::string overlay(const std::string& table, const std::string& id) const {
    return prefix_ + "read_buffer:" + table + ":" + id;
  }
  std::string index(const std::string& table, const std::string& column,
                    const std::string& value) const {
    return prefix_ + "index:" + table + ":" + column + ":" + value;
  }
  /// Every buffered record of a listed table, newest first by its order column.
  std::string listing(const std::string& table) const { return prefix_ + "listing:" + table; }
  std::string awaiting_replication() const { return prefix_ + "awaiting_replication"; }
  std::string failed() const { return prefix_ + "failed_transactions"; }
  /// The dead-letter entries again, by transaction id, so one is found without a scan.
  std::string failed_by_id() const { return prefix_ + "failed_transactions_by_id"; }
  std::string resolved() const { return prefix_ + "resolved_transactions"; }
  std::string processor_lock() const { return prefix_ + "processor_lock"; }
  /// The recent transaction events, a stream trimmed to about EVENTS_RECENT_MAX entries: what
  /// `/ws/events` subscribers of every process of the site receive, and resume from.
  std::string events() const { return prefix_ + "events"; }

 private:
  std::string prefix_;
};

}  // namespace opsdb
