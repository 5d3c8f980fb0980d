#include "redis_probe.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <stdexcept>
#include <thread>

#include "stack.hpp"
#include "wait.hpp"

namespace opsdb::test {
namespace {

std::vector<std::string> strings(const redis::Reply& reply) {
  std::vector<std::string> out;
  for (const auto& e : reply.elements) out.push_back(e.str);
  return out;
}

}  // namespace

struct RedisProbe::Impl {
  explicit Impl(redis::RedisOptions options)
      : work(boost::asio::make_work_guard(io)), client(io, std::move(options)) {
    thread = std::thread([this] { io.run(); });
    client.start();
    auto connected = wait_until([this] { return client.connected(); }, std::chrono::seconds(2),
                                "a connection to Redis", std::chrono::milliseconds(10));
    if (!connected) throw std::runtime_error("redis: " + std::string(connected.message()));
  }
  ~Impl() {
    client.stop();
    work.reset();
    thread.join();
  }
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  redis::RedisClient client;
  std::thread thread;
};

RedisProbe::RedisProbe() : impl_(std::make_unique<Impl>(stack_redis_options())) {}
RedisProbe::RedisProbe(redis::RedisOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
RedisProbe::~RedisProbe() = default;

redis::Reply RedisProbe::command(std::vector<std::string> args) {
  const auto name = args.empty() ? std::string() : args[0];
  std::promise<redis::Result> done;
  impl_->client.command(std::move(args), [&](redis::Result r) { done.set_value(std::move(r)); });
  auto r = done.get_future().get();
  if (!r.ok()) throw std::runtime_error("redis: " + r.message + " (" + name + ")");
  return r.reply;
}

std::vector<std::string> RedisProbe::lrange(const std::string& key, long long start,
                                            long long stop) {
  return strings(command({"LRANGE", key, std::to_string(start), std::to_string(stop)}));
}

std::vector<std::string> RedisProbe::hgetall(const std::string& key) {
  return strings(command({"HGETALL", key}));
}

std::vector<std::string> RedisProbe::scan(const std::string& pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    auto r = command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r.elements.at(0).str;
    for (const auto& k : r.elements.at(1).elements) keys.push_back(k.str);
  } while (cursor != "0");
  return keys;
}

long long RedisProbe::delete_matching(const std::string& pattern) {
  auto keys = scan(pattern);
  long long deleted = 0;
  for (size_t i = 0; i < keys.size(); i += 500) {
    std::vector<std::string> del{"DEL"};
    for (size_t j = i; j < std::min(keys.size(), i + 500); ++j) del.push_back(keys[j]);
    deleted += command(del).integer;
  }
  return deleted;
}

}  // namespace opsdb::test
