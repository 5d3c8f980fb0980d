#include "fault.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <random>
#include <stdexcept>
#include <thread>

#include "stack.hpp"

namespace opsdb::test {

namespace {

int script(const std::string& name, const std::string& args) {
  return shell(source_dir() + "/scripts/" + name + " " + args);
}

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

bool is_root() {
  return ::geteuid() == 0;
}

int blackhole(std::uint16_t port) {
  return script("fault.sh", "blackhole " + std::to_string(port));
}
int unblackhole(std::uint16_t port) {
  return script("fault.sh", "unblackhole " + std::to_string(port));
}
int clear_faults() {
  return script("fault.sh", "clear");
}
int pause_main() {
  return script("fault.sh", "pause-main");
}
int resume_main() {
  return script("fault.sh", "resume-main");
}
int pause_replica() {
  return script("fault.sh", "pause-replica");
}
int resume_replica() {
  return script("fault.sh", "resume-replica");
}
int stop_main() {
  return script("stack.sh", "stop-main");
}
int start_main() {
  return script("stack.sh", "start-main");
}
int stop_redis() {
  return script("stack.sh", "stop-redis");
}
int start_redis() {
  return script("stack.sh", "start-redis");
}
int pause_redis() {
  return script("fault.sh", "pause-redis");
}
int resume_redis() {
  return script("fault.sh", "resume-redis");
}
int kill_redis() {
  return script("fault.sh", "kill-redis");
}

void restore_stack() {
  if (!is_root()) return;  // nothing can have been broken without root
  // Only the ports the tests blackhole, so a concurrent run on another stack keeps its faults.
  unblackhole(static_cast<std::uint16_t>(std::stoi(env_or("MAIN_DB_PORT", "5432"))));
  // Fails harmlessly when main is not running; a paused main must be continued before
  // start-main, which would otherwise just report it as running.
  script("fault.sh", "resume-main >/dev/null 2>&1");
  script("fault.sh", "resume-replica >/dev/null 2>&1");
  script("fault.sh", "resume-redis >/dev/null 2>&1");
  start_main();
  start_redis();
}

bool wait_until(const std::function<bool()>& condition, Millis limit, Millis poll) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(poll);
  }
  return condition();
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

Summary summarize(std::vector<double> values) {
  Summary s;
  s.n = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1;
    return values[std::min(i, values.size() - 1)];
  };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.max = values.back();
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return s;
}

std::string random_hex(int n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < n; ++i) out += digits[rng() % 16];
  return out;
}

}  // namespace opsdb::test
