// Unit tests of how hiredis replies become Reply/Result values. Replies are produced by
// hiredis's own protocol parser from raw RESP bytes, exactly as they arrive from a server.

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "../../src/redis/reply_conversion.hpp"
#include "opsdb/redis/redis_client.hpp"

namespace opsdb::redis {
namespace {

using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;

/// Parses one RESP message with hiredis's reader.
ReplyPtr parse(const std::string& wire) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(redisReaderCreate(), redisReaderFree);
  if (redisReaderFeed(reader.get(), wire.data(), wire.size()) != REDIS_OK) {
    throw std::runtime_error("feed failed");
  }
  void* reply = nullptr;
  if (redisReaderGetReply(reader.get(), &reply) != REDIS_OK || reply == nullptr) {
    throw std::runtime_error("incomplete or invalid RESP: " + wire);
  }
  return ReplyPtr(static_cast<redisReply*>(reply), freeReplyObject);
}

TEST(RedisReplyConversion, CopiesEveryScalarType) {
  Reply status = to_reply(*parse("+OK\r\n"));
  EXPECT_EQ(status.type, Reply::Type::status);
  EXPECT_EQ(status.str, "OK");

  Reply error = to_reply(*parse("-ERR wrong\r\n"));
  EXPECT_TRUE(error.is_error());
  EXPECT_EQ(error.str, "ERR wrong");

  Reply integer = to_reply(*parse(":-9223372036854775808\r\n"));
  EXPECT_EQ(integer.type, Reply::Type::integer);
  EXPECT_EQ(integer.integer, std::numeric_limits<long long>::min());

  EXPECT_TRUE(to_reply(*parse("$-1\r\n")).is_nil());
  EXPECT_TRUE(to_reply(*parse("*-1\r\n")).is_nil());
}

TEST(RedisReplyConversion, BulkStringsKeepEmbeddedNulAndCrlf) {
  const std::string payload("a\0b\r\nc", 6);
  Reply reply = to_reply(*parse("$6\r\n" + payload + "\r\n"));
  EXPECT_EQ(reply.type, Reply::Type::string);
  EXPECT_EQ(reply.str, payload);

  Reply empty = to_reply(*parse("$0\r\n\r\n"));
  EXPECT_EQ(empty.type, Reply::Type::string);
  EXPECT_TRUE(empty.str.empty());
}

TEST(RedisReplyConversion, NestedArraysAreCopiedDeeply) {
  Reply reply = to_reply(*parse("*3\r\n$3\r\nfoo\r\n*2\r\n:1\r\n$-1\r\n*0\r\n"));
  ASSERT_EQ(reply.type, Reply::Type::array);
  ASSERT_EQ(reply.elements.size(), 3u);
  EXPECT_EQ(reply.elements[0].str, "foo");
  ASSERT_EQ(reply.elements[1].elements.size(), 2u);
  EXPECT_EQ(reply.elements[1].elements[0].integer, 1);
  EXPECT_TRUE(reply.elements[1].elements[1].is_nil());
  EXPECT_EQ(reply.elements[2].type, Reply::Type::array);
  EXPECT_TRUE(reply.elements[2].elements.empty());
}

TEST(RedisReplyConversion, CommandResultFlagsErrorReplies) {
  Result ok = command_result(*parse(":5\r\n"));
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.reply.integer, 5);

  Result error = command_result(*parse("-WRONGTYPE Operation against a key\r\n"));
  EXPECT_EQ(error.error, RedisErrc::reply_error);
  EXPECT_EQ(error.message, "WRONGTYPE Operation against a key");
  EXPECT_TRUE(error.reply.is_error());
}

TEST(RedisReplyConversion, ExecResultIsOkOnlyWhenEveryElementSucceeded) {
  Result ok = exec_result(*parse("*2\r\n+OK\r\n:2\r\n"), "");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.reply.elements.size(), 2u);

  // Commands around a runtime error did run; the caller must learn about the error anyway.
  Result partial = exec_result(*parse("*2\r\n+OK\r\n-ERR not an integer\r\n"), "");
  EXPECT_EQ(partial.error, RedisErrc::reply_error);
  EXPECT_EQ(partial.message, "ERR not an integer");
  EXPECT_EQ(partial.reply.elements.size(), 2u);
}

TEST(RedisReplyConversion, ExecResultPrefersTheQueueingError) {
  Result aborted =
      exec_result(*parse("-EXECABORT Transaction discarded because of previous errors.\r\n"),
                  "ERR wrong number of arguments for 'incr' command");
  EXPECT_EQ(aborted.error, RedisErrc::reply_error);
  EXPECT_EQ(aborted.message, "ERR wrong number of arguments for 'incr' command");

  Result exec_error = exec_result(*parse("-EXECABORT discarded\r\n"), "");
  EXPECT_EQ(exec_error.error, RedisErrc::reply_error);
  EXPECT_EQ(exec_error.message, "EXECABORT discarded");
}

TEST(RedisErrcNames, AreStable) {
  EXPECT_EQ(to_string(RedisErrc::ok), "ok");
  EXPECT_EQ(to_string(RedisErrc::timeout), "timeout");
  EXPECT_EQ(to_string(RedisErrc::disconnected), "disconnected");
  EXPECT_EQ(to_string(RedisErrc::reply_error), "reply_error");
}

}  // namespace
}  // namespace opsdb::redis
