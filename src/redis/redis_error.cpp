#include "opsdb/redis/redis_error.hpp"

namespace opsdb::redis {

Error to_error(const Result& result) {
  std::string message(to_string(result.error));
  if (!result.message.empty()) message += ": " + result.message;
  if (result.error != RedisErrc::reply_error) {
    return Error{result.may_have_run ? Fault::outcome_unknown : Fault::unavailable, message, ""};
  }
  const auto code = result.message.substr(0, result.message.find(' '));
  const bool refused = code == "LEASE" || code == "MISMATCH";
  return Error{refused ? Fault::conflict : Fault::internal, message, code};
}

}  // namespace opsdb::redis
