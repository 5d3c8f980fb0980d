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
  const bool refused = code == "LEASE" || code == "MISMATCH";
  return Error{refused ? Fault::conflict : Fault::internal, message, code};
}

}  // namespace opsdb::redis
