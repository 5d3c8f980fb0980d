#include "opsdb/core/timestamp.hpp"

#include <gtest/gtest.h>

#include "opsdb/core/uuid.hpp"

namespace opsdb {
namespace {

TEST(Timestamp, CanonicalFormIsUtcWithMicroseconds) {
  EXPECT_EQ(canonical_timestamp("2026-11-25T16:00:00Z"), "2026-11-25T16:00:00.000000Z");
  EXPECT_EQ(canonical_timestamp("2026-11-25T16:00:00.5+01:00"), "2026-11-25T15:00:00.500000Z");
  EXPECT_EQ(canonical_timestamp("2026-11-25 16:00:00.123456+00"), "2026-11-25T16:00:00.123456Z");
  EXPECT_EQ(canonical_timestamp("2026-01-01T00:30:00-03:00"), "2026-01-01T03:30:00.000000Z");
}

TEST(Timestamp, RejectsAmbiguousOrBrokenInput) {
  EXPECT_FALSE(parse_timestamp("2026-11-25T16:00:00"));  // no zone
  EXPECT_FALSE(parse_timestamp("2026-02-30T16:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-25T25:00:00Z"));
  EXPECT_FALSE(parse_timestamp("yesterday"));
  EXPECT_FALSE(parse_timestamp("2026-11-25T16:00:00Zjunk"));
  EXPECT_FALSE(parse_timestamp(""));
}

// Found by fuzzing: "0001-01-01T00:00:00Z" overflowed the clock's 64-bit nanoseconds (undefined
// behaviour, in practice another time), which a client could have stored as a start time.
TEST(Timestamp, TimesTheClockCannotHoldAreRefusedNotWrapped) {
  for (const char* text : {"0001-01-01T00:00:00Z", "1677-09-21T00:12:43Z", "1899-12-31T23:59:59Z",
                           "2200-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
                           "1900-01-01T00:30:00+01:00", "2199-12-31T23:30:00-01:00"}) {
    EXPECT_FALSE(canonical_timestamp(text)) << text;
  }
  EXPECT_EQ(canonical_timestamp("1900-01-01T00:00:00Z"), "1900-01-01T00:00:00.000000Z");
  EXPECT_EQ(canonical_timestamp("2199-12-31T23:59:59.999999Z"), "2199-12-31T23:59:59.999999Z");
}

TEST(Timestamp, CanonicalStringsSortChronologically) {
  auto a = *canonical_timestamp("2026-11-25T16:00:00.9Z");
  auto b = *canonical_timestamp("2026-11-25T16:00:01Z");
  EXPECT_LT(a, b);
}

TEST(Uuid, GeneratesDistinctVersion4Uuids) {
  auto a = new_uuid();
  auto b = new_uuid();
  EXPECT_TRUE(is_uuid(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
  EXPECT_FALSE(is_uuid("not-a-uuid"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_EQ(normalize_uuid("ABCDEF01-2345-6789-ABCD-EF0123456789"),
            "abcdef01-2345-6789-abcd-ef0123456789");
}

}  // namespace
}  // namespace opsdb
