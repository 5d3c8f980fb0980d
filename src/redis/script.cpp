#include "opsdb/redis/script.hpp"

#include <utility>

namespace opsdb::redis {
namespace {

bool is_noscript(const Result& r) {
  return r.error == RedisErrc::reply_error && r.message.rfind("NOSCRIPT", 0) == 0;
}

}  // namespace

// The arguments of one run, kept until it has an answer: a NOSCRIPT reply sends them again.
struct Script::Call {
  std::vector<std::string> keys;
  std::vector<std::string> args;
  RedisClient::Callback done;
};

Script::Script(RedisClient& client, std::string source)
    : client_(client), source_(std::move(source)) {}

std::string Script::sha() const {
  std::lock_guard lock(mutex_);
  return sha_;
}

void Script::run(std::vector<std::string> keys, std::vector<std::string> args,
                 RedisClient::Callback done) {
  auto call = std::make_shared<Call>(Call{std::move(keys), std::move(args), std::move(done)});
  auto known = sha();
  if (known.empty()) return load(std::move(call));
  evalsha(std::move(known), std::move(call), true);
}

void Script::load(std::shared_ptr<Call> call) {
  client_.command({"SCRIPT", "LOAD", source_}, [this, call](Result r) {
    if (!r.ok()) return call->done(std::move(r));
    {
      std::lock_guard lock(mutex_);
      sha_ = r.reply.str;
    }
    // Just loaded: a NOSCRIPT now would mean Redis forgets at once; report it, do not loop.
    evalsha(r.reply.str, call, false);
  });
}

void Script::evalsha(std::string sha, std::shared_ptr<Call> call, bool reload_on_noscript) {
  std::vector<std::string> command;
  command.reserve(3 + call->keys.size() + call->args.size());
  command.push_back("EVALSHA");
  command.push_back(std::move(sha));
  command.push_back(std::to_string(call->keys.size()));
  command.insert(command.end(), call->keys.begin(), call->keys.end());
  command.insert(command.end(), call->args.begin(), call->args.end());
  client_.command(std::move(command), [this, call, reload_on_noscript](Result r) {
    if (reload_on_noscript && is_noscript(r)) return load(call);
    call->done(std::move(r));
  });
}

}  // namespace opsdb::redis
