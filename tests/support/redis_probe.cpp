#include "redis_probe.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <stdexcept>
#include <thread>

#include "stack.hpp"

namespace opsdb::test {

struct RedisSync::Impl {
  Impl() : work(boost::asio::make_work_guard(io)), client(io, options()) {
    thread = std::thread([this] { io.run(); });
    client.start();
    for (int i = 0; i < 200 && !client.connected(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~Impl() {
    client.stop();
    work.reset();
    thread.join();
  }
  static redis::RedisOptions options() {
    auto config = stack_config();
    redis::RedisOptions o;
    o.host = config.redis_host;
    o.port = config.redis_port;
    o.password = config.redis_password;
    o.command_timeout = std::chrono::seconds(5);
    return o;
  }

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  redis::RedisClient client;
  std::thread thread;
};

RedisSync::RedisSync() : impl_(std::make_unique<Impl>()) {}
RedisSync::~RedisSync() = default;

redis::Reply RedisSync::command(std::vector<std::string> args) {
  std::promise<redis::Result> done;
  impl_->client.command(std::move(args), [&](redis::Result r) { done.set_value(std::move(r)); });
  auto r = done.get_future().get();
  if (!r.ok()) throw std::runtime_error("redis: " + r.message);
  return r.reply;
}

void RedisSync::delete_site(const std::string& site_name) {
  std::string cursor = "0";
  do {
    auto r = command({"SCAN", cursor, "MATCH", "site:" + site_name + ":*", "COUNT", "1000"});
    cursor = r.elements[0].str;
    std::vector<std::string> del{"DEL"};
    for (const auto& k : r.elements[1].elements) del.push_back(k.str);
    if (del.size() > 1) command(del);
  } while (cursor != "0");
}

}  // namespace opsdb::test
