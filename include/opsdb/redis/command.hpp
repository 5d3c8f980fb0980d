#pragma once

#include <string>
#include <utility>
#include <vector>

namespace opsdb::redis {

/// One Redis command with its keys kept apart from its other arguments, so that it can be sent
/// as it is or handed to a script, which must receive every key it touches in KEYS.
struct Command {
  std::string name;
  std::vector<std::string> keys;
  std::vector<std::string> args;

  /// The command as sent: name, keys, arguments.
  std::vector<std::string> words() && {
    std::vector<std::string> out;
    out.reserve(1 + keys.size() + args.size());
    out.push_back(std::move(name));
    for (auto& k : keys) out.push_back(std::move(k));
    for (auto& a : args) out.push_back(std::move(a));
    return out;
  }
};

}  // namespace opsdb::redis
