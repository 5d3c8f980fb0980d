#include "fault.hpp"

#include <hiredis/hiredis.h>
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

bool is_root() { return ::geteuid() == 0; }

int blackhole(std::uint16_t port) { return script("fault.sh", "blackhole " + std::to_string(port)); }
int unblackhole(std::uint16_t port) {
  return script("fault.sh", "unblackhole " + std::to_string(port));
}
int clear_faults() { return script("fault.sh", "clear"); }
int pause_main() { return script("fault.sh", "pause-main"); }
int resume_main() { return script("fault.sh", "resume-main"); }
int stop_main() { return script("stack.sh", "stop-main"); }
int start_main() { return script("stack.sh", "start-main"); }
int stop_redis() { return script("stack.sh", "stop-redis"); }
int start_redis() { return script("stack.sh", "start-redis"); }

void restore_stack() {
  if (!is_root()) return;  // nothing can have been broken without root
  // Only the ports the tests blackhole, so a concurrent run on another stack keeps its faults.
  unblackhole(static_cast<std::uint16_t>(std::stoi(env_or("MAIN_DB_PORT", "5432"))));
  // Fails harmlessly when main is not running; a paused main must be continued before
  // start-main, which would otherwise just report it as running.
  script("fault.sh", "resume-main >/dev/null 2>&1");
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

// --- RedisProbe -------------------------------------------------------------------------------

struct RedisProbe::Impl {
  redisContext* ctx = nullptr;

  ~Impl() {
    if (ctx != nullptr) redisFree(ctx);
  }

  // One command; the reply is owned by the caller (freeReplyObject).
  redisReply* command(const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(args.size()), args.data(), lens.data()));
    if (reply == nullptr) {
      throw std::runtime_error("redis: " + std::string(ctx->errstr) + " (" + argv[0] + ")");
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string message(reply->str, reply->len);
      freeReplyObject(reply);
      throw std::runtime_error("redis: " + message + " (" + argv[0] + ")");
    }
    return reply;
  }

  long long integer(const std::vector<std::string>& argv) {
    auto* r = command(argv);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return v;
  }

  std::vector<std::string> strings(const std::vector<std::string>& argv) {
    auto* r = command(argv);
    std::vector<std::string> out;
    if (r->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i < r->elements; ++i) {
        auto* e = r->element[i];
        out.emplace_back(e->str != nullptr ? std::string(e->str, e->len) : std::string());
      }
    }
    freeReplyObject(r);
    return out;
  }
};

RedisProbe::RedisProbe() : impl_(std::make_unique<Impl>()) {
  const std::string host = env_or("REDIS_HOST", "127.0.0.1");
  const int port = std::stoi(env_or("REDIS_PORT", "6379"));
  timeval timeout{2, 0};
  impl_->ctx = redisConnectWithTimeout(host.c_str(), port, timeout);
  if (impl_->ctx == nullptr || impl_->ctx->err != 0) {
    throw std::runtime_error("redis: cannot connect to " + host + ":" + std::to_string(port));
  }
  redisSetTimeout(impl_->ctx, timeout);
  const std::string password = env_or("REDIS_PASSWORD", "");
  if (!password.empty()) freeReplyObject(impl_->command({"AUTH", password}));
}

RedisProbe::~RedisProbe() = default;

long long RedisProbe::llen(const std::string& key) { return impl_->integer({"LLEN", key}); }

std::vector<std::string> RedisProbe::lrange(const std::string& key, long long start,
                                            long long stop) {
  return impl_->strings({"LRANGE", key, std::to_string(start), std::to_string(stop)});
}

long long RedisProbe::zcard(const std::string& key) { return impl_->integer({"ZCARD", key}); }

std::vector<std::string> RedisProbe::hgetall(const std::string& key) {
  return impl_->strings({"HGETALL", key});
}

bool RedisProbe::exists(const std::string& key) { return impl_->integer({"EXISTS", key}) > 0; }

std::vector<std::string> RedisProbe::scan(const std::string& pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    auto* r = impl_->command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      freeReplyObject(r);
      throw std::runtime_error("redis: unexpected SCAN reply");
    }
    cursor.assign(r->element[0]->str, r->element[0]->len);
    auto* batch = r->element[1];
    for (size_t i = 0; i < batch->elements; ++i) {
      keys.emplace_back(batch->element[i]->str, batch->element[i]->len);
    }
    freeReplyObject(r);
  } while (cursor != "0");
  return keys;
}

long long RedisProbe::delete_matching(const std::string& pattern) {
  auto keys = scan(pattern);
  long long deleted = 0;
  for (size_t i = 0; i < keys.size(); i += 500) {
    std::vector<std::string> argv{"DEL"};
    for (size_t j = i; j < std::min(keys.size(), i + 500); ++j) argv.push_back(keys[j]);
    deleted += impl_->integer(argv);
  }
  return deleted;
}

}  // namespace opsdb::test
