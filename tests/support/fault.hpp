#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace opsdb::test {

// --- faults on the local stack --------------------------------------------------------------
// Wrappers around scripts/fault.sh and scripts/stack.sh. They run with the test process's
// environment (STACK_DIR, MAIN_DB_PORT, ...), so they act on the stack the tests talk to.
// Each returns the script's exit status; output goes to the test's stdout/stderr.

/// True when the tests run as root (nftables blackholes, signalling the postgres processes).
bool is_root();

int blackhole(std::uint16_t port);
int unblackhole(std::uint16_t port);
/// Removes every blackhole.
int clear_faults();
/// SIGSTOP / SIGCONT the main PostgreSQL (a hung server).
int pause_main();
int resume_main();
/// SIGSTOP / SIGCONT the local replica (a hung local database).
int pause_replica();
int resume_replica();
/// Stops (fast shutdown) / starts the main PostgreSQL (a refused connection).
int stop_main();
int start_main();
int stop_redis();
int start_redis();
/// SIGSTOP / SIGCONT the Redis server (a frozen buffer: connections stay open, nothing answers).
int pause_redis();
int resume_redis();
/// SIGKILL of the Redis server (a crash of the process); returns once it is gone. start_redis()
/// brings it back from its append-only file.
int kill_redis();

/// Puts the stack back as the tests expect it, whatever a test did: no blackhole on the main
/// DB's port, main and Redis resumed and running. Safe to call any number of times; for fixture
/// TearDown.
void restore_stack();

// --- waiting ----------------------------------------------------------------------------------

using Millis = std::chrono::milliseconds;

/// Polls `condition` every `poll` until it holds or `limit` has passed; true if it held. Never
/// waits longer than `limit` plus one poll and one evaluation.
bool wait_until(const std::function<bool()>& condition, Millis limit, Millis poll = Millis(20));

/// Milliseconds since `since`, as a double.
double elapsed_ms(std::chrono::steady_clock::time_point since);

/// Percentiles and maximum of a set of measurements (e.g. latencies in ms).
struct Summary {
  double p50 = 0, p99 = 0, max = 0, mean = 0;
  std::size_t n = 0;
};
Summary summarize(std::vector<double> values);

/// `n` random lower-case hex digits.
std::string random_hex(int n);

}  // namespace opsdb::test
