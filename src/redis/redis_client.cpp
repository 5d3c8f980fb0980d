#include "opsdb/redis/redis_client.hpp"

#include <utility>

#include "redis_client_impl.hpp"

namespace opsdb::redis {

std::string_view to_string(RedisErrc errc) {
  switch (errc) {
    case RedisErrc::ok:
      return "ok";
    case RedisErrc::timeout:
      return "timeout";
    case RedisErrc::disconnected:
      return "disconnected";
    case RedisErrc::reply_error:
      return "reply_error";
  }
  return "unknown";
}

RedisClient::RedisClient(boost::asio::io_context& io, RedisOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

RedisClient::~RedisClient() {
  // The implementation lives on in the handlers still queued, which complete every
  // outstanding callback; stop() makes sure nothing new starts.
  impl_->stop();
}

void RedisClient::start() {
  impl_->start();
}

void RedisClient::stop() {
  impl_->stop();
}

bool RedisClient::connected() const {
  return impl_->connected();
}

void RedisClient::command(std::vector<std::string> args, Callback callback) {
  impl_->command(std::move(args), std::move(callback));
}

void RedisClient::transaction(std::vector<std::vector<std::string>> commands, Callback callback) {
  impl_->transaction(std::move(commands), std::move(callback));
}

void RedisClient::pipeline(std::vector<std::vector<std::string>> commands, Callback callback) {
  impl_->pipeline(std::move(commands), std::move(callback));
}

}  // namespace opsdb::redis
