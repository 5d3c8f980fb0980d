#include "opsdb/redis/redis_error.hpp"

#include "opsdb/tx/write_buffer.hpp"

namespace opsdb::redis {
namespace {

// Redis over its `maxmemory` (policy noeviction) refuses every command that could grow it
// before running any of it: a MULTI/EXEC with such a command is discarded whole (EXECABORT), a
// script is stopped at its first such write, before it changed anything. Nothing was written.
bool refused_for_memory(const std::string& code, const std::string& message) {
  return code == "OOM" || message.find("OOM command not allowed") != std::string::npos;
}

// Refusals of a server that cannot take writes now, before running any of them: a replica
// (READONLY: a demoted master, before the client moved to the new one), a master without the
// replicas `min-replicas-to-write` asks for (NOREPLICAS), a replica cut off from its master
// (MASTERDOWN), a server loading its data (LOADING) or busy with a script (BUSY). Nothing was
// written; the write may be tried again.
bool refused_for_now(const std::string& code) {
  return code == "READONLY" || code == "NOREPLICAS" || code == "MASTERDOWN" || code == "LOADING" ||
         code == "BUSY" || code == "TRYAGAIN";
}

}  // namespace

Error to_error(const Result& result) {
  std::string message(to_string(result.error));
  if (!result.message.empty()) message += ": " + result.message;
  if (result.error != RedisErrc::reply_error) {
    return Error{result.may_have_run ? Fault::outcome_unknown : Fault::unavailable, message, ""};
  }
  const auto code = result.message.substr(0, result.message.find(' '));
  if (refused_for_memory(code, result.message)) {
    return Error{Fault::unavailable, message, std::string(kBufferOutOfMemory)};
  }
  if (refused_for_now(code)) return Error{Fault::unavailable, message, code};
  const bool refused = code == "LEASE" || code == "MISMATCH";
  return Error{refused ? Fault::conflict : Fault::internal, message, code};
}

}  // namespace opsdb::redis
