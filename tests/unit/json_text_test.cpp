// The strict JSON parser every body and every buffered document goes through: what it refuses,
// and that the refusal names the place.
#include "opsdb/core/json_text.hpp"

#include <gtest/gtest.h>

#include "opsdb/core/utf8.hpp"

namespace opsdb {
namespace {

using Reason = JsonRefusal::Reason;

// The refusal of `text`; fails the test when it is accepted.
JsonRefusal refusal(const std::string& text, const JsonLimits& limits = {}) {
  try {
    parse_json_strict(text, limits);
  } catch (const JsonRefusal& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << text;
  return JsonRefusal(Reason::syntax, "", "none");
}

TEST(StrictJson, ADuplicateKeyIsRefusedNamingItWhereverItIs) {
  auto top = refusal(R"({"a": 1, "b": 2, "a": 3})");
  EXPECT_EQ(top.reason(), Reason::duplicate_key);
  EXPECT_EQ(top.field(), "a");
  EXPECT_STREQ(top.what(), "a appears more than once");

  auto nested = refusal(R"([{"x": 1}, {"y": {"k": [1, {"z": 1, "z": 1}]}}])");
  EXPECT_EQ(nested.reason(), Reason::duplicate_key);
  EXPECT_EQ(nested.field(), "[1].y.k[1].z");

  // The same key in sibling objects is no duplicate.
  EXPECT_NO_THROW(parse_json_strict(R"([{"a": 1}, {"a": 2}, {"b": {"a": 3}}])", {}));
}

TEST(StrictJson, InvalidUtf8IsRefusedWhileParsingNamingTheField) {
  auto raw = refusal("{\"ok\": \"x\", \"name\": \"a\xC0\xAF\"}");  // overlong '/'
  EXPECT_EQ(raw.reason(), Reason::invalid_utf8);
  EXPECT_EQ(raw.field(), "name");

  auto surrogate = refusal(R"({"list": ["ok", "\udc00"]})");
  EXPECT_EQ(surrogate.reason(), Reason::invalid_utf8);
  EXPECT_EQ(surrogate.field(), "list[1]");

  // A correct surrogate pair and multi-byte text are fine, and dump again without throwing.
  auto doc = parse_json_strict(R"({"s": "\ud83d\ude00 \u00e9 日本"})", {});
  EXPECT_NO_THROW(doc.dump());
}

TEST(StrictJson, StringsAndKeysAreLimitedInLength) {
  const JsonLimits limits{.max_string = 4};
  EXPECT_NO_THROW(parse_json_strict(R"({"abcd": "wxyz"})", limits));
  auto value = refusal(R"({"a": {"b": "12345"}})", limits);
  EXPECT_EQ(value.reason(), Reason::string_too_long);
  EXPECT_EQ(value.field(), "a.b");
  auto key = refusal(R"({"abcde": 1})", limits);
  EXPECT_EQ(key.reason(), Reason::string_too_long);
  EXPECT_EQ(key.field(), "abcde");
  // 0: no limit (documents read back from Redis).
  EXPECT_NO_THROW(parse_json_strict("\"" + std::string(100'000, 'a') + "\"", {.max_string = 0}));
}

TEST(StrictJson, ArraysAreLimitedWhileParsing) {
  const JsonLimits limits{.max_array_items = 2};
  EXPECT_NO_THROW(parse_json_strict("[1, [2, 3]]", limits));
  auto top = refusal("[1, 2, 3]", limits);
  EXPECT_EQ(top.reason(), Reason::array_too_long);
  EXPECT_EQ(top.field(), "");
  auto inner = refusal(R"({"a": [{}, {}, {}]})", limits);
  EXPECT_EQ(inner.field(), "a");
}

TEST(StrictJson, DepthNumbersAndSyntaxAreRefusedWithTheirReason) {
  EXPECT_EQ(refusal("[[[1]]]", {.max_depth = 2}).reason(), Reason::too_deep);
  EXPECT_NO_THROW(parse_json_strict("[[1]]", {.max_depth = 2}));
  auto number = refusal(R"({"t": [1, 1e400]})");
  EXPECT_EQ(number.reason(), Reason::number_out_of_range);
  EXPECT_EQ(number.field(), "t[1]");
  EXPECT_EQ(refusal(R"({"a": 1,})").reason(), Reason::syntax);
  EXPECT_EQ(refusal("").reason(), Reason::syntax);
  // The parser's own message quotes the input; the refusal does not.
  EXPECT_EQ(std::string(refusal("{\"a\": tru\xff}").what()).find('\xff'), std::string::npos);
}

TEST(StrictJson, DocumentsFromRedisAreReadWithTheSameRules) {
  EXPECT_TRUE(parse_json_text(R"({"a": "x"})", 4));
  EXPECT_FALSE(parse_json_text(R"({"a": 1, "a": 2})", 4));
  EXPECT_FALSE(parse_json_text("{\"a\": \"\xff\"}", 4));
  EXPECT_FALSE(parse_json_text("[[[[[1]]]]]", 4));
  EXPECT_TRUE(parse_json_text("\"" + std::string(200'000, 'a') + "\"", 4));
}

TEST(Utf8, WellFormedTextOnly) {
  struct Case {
    std::string text;
    std::optional<std::size_t> bad_at;
  };
  const Case cases[] = {
      {"", std::nullopt},
      {"plain ascii", std::nullopt},
      {"\xC3\xA9", std::nullopt},          // é
      {"\xE6\x97\xA5", std::nullopt},      // 日
      {"\xF0\x9F\x98\x80", std::nullopt},  // U+1F600
      {"\xF4\x8F\xBF\xBF", std::nullopt},  // U+10FFFF, the last code point
      {"a\xFF", 1},                        // never in UTF-8
      {"\xC0\xAF", 0},                     // overlong '/'
      {"\xE0\x80\xAF", 0},                 // overlong '/'
      {"\xED\xA0\x80", 0},                 // surrogate U+D800
      {"\xF4\x90\x80\x80", 0},             // above U+10FFFF
      {"ok\xE6\x97", 2},                   // truncated
      {"\x80", 0},                         // lone continuation byte
  };
  for (const auto& c : cases) {
    EXPECT_EQ(first_invalid_utf8(c.text), c.bad_at) << testing::PrintToString(c.text);
  }
}

}  // namespace
}  // namespace opsdb
