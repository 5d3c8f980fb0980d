#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace opsdb {

/// What the Redis buffer of a site needs to know of the configuration.
struct BufferOptions {
  std::string site_name;                    // the key prefix site:{site_name}:
  std::string lease_identity;               // names this process as holder of the drain lease
  std::chrono::seconds status_ttl{86'400};  // lifetime of a transaction's final status
  bool lsn_tracking_enabled = true;         // false: caches go right after the apply
  /// How long the drain lease outlives its last renewal; longer than one main-database call.
  std::chrono::milliseconds lease_ttl{30'000};
  /// How long an Idempotency-Key is remembered in the buffer (beyond, the ledger still applies
  /// its transaction once).
  std::chrono::seconds idempotency_ttl{86'400};
  /// A write counts as buffered only once this many Redis replicas confirmed it (WAIT), within
  /// `replica_ack_timeout`; 0: once the master has it.
  int min_replicas_ack = 0;
  std::chrono::milliseconds replica_ack_timeout{500};
  /// About how many transaction events the events stream keeps (trimmed in whole nodes).
  std::size_t events_max = 10'000;
};

}  // namespace opsdb
