#include "reply_conversion.hpp"

#include <hiredis/hiredis.h>

#include <string>
#include <utility>

namespace opsdb::redis {

namespace {

Reply::Type reply_type(int hiredis_type) {
  switch (hiredis_type) {
    case REDIS_REPLY_STRING:
      return Reply::Type::string;
    case REDIS_REPLY_ARRAY:
      return Reply::Type::array;
    case REDIS_REPLY_INTEGER:
      return Reply::Type::integer;
    case REDIS_REPLY_STATUS:
      return Reply::Type::status;
    case REDIS_REPLY_ERROR:
      return Reply::Type::error;
    default:
      return Reply::Type::nil;
  }
}

Result reply_error(std::string message, Reply reply) {
  Result result;
  result.error = RedisErrc::reply_error;
  result.message = std::move(message);
  result.reply = std::move(reply);
  return result;
}

}  // namespace

Reply to_reply(const redisReply& reply) {
  Reply out;
  out.type = reply_type(reply.type);
  switch (out.type) {
    case Reply::Type::string:
    case Reply::Type::status:
    case Reply::Type::error:
      out.str.assign(reply.str, reply.len);
      break;
    case Reply::Type::integer:
      out.integer = reply.integer;
      break;
    case Reply::Type::array:
      out.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) {
        out.elements.push_back(to_reply(*reply.element[i]));
      }
      break;
    case Reply::Type::nil:
      break;
  }
  return out;
}

Result command_result(const redisReply& reply) {
  Reply value = to_reply(reply);
  if (value.is_error()) {
    std::string message = value.str;
    return reply_error(std::move(message), std::move(value));
  }
  Result result;
  result.reply = std::move(value);
  return result;
}

Result exec_result(const redisReply& exec_reply, std::string_view queue_error) {
  Reply value = to_reply(exec_reply);
  // A command rejected while queueing aborts the whole transaction (EXEC then only says
  // EXECABORT); the queueing error is the one that tells the caller what was wrong.
  if (!queue_error.empty()) {
    return reply_error(std::string(queue_error), std::move(value));
  }
  if (value.is_error()) {
    std::string message = value.str;
    return reply_error(std::move(message), std::move(value));
  }
  // Runtime errors inside EXEC do not roll back the other commands, so the caller must know.
  return array_result(std::move(value));
}

Result array_result(Reply value) {
  for (const Reply& element : value.elements) {
    if (element.is_error()) {
      std::string message = element.str;
      return reply_error(std::move(message), std::move(value));
    }
  }
  Result result;
  result.reply = std::move(value);
  return result;
}

}  // namespace opsdb::redis
