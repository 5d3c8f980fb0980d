#include "opsdb/core/lsn.hpp"

#include <gtest/gtest.h>

namespace opsdb {
namespace {

TEST(Lsn, ParsesAsSixtyFourBitNumberNotAsText) {
  EXPECT_EQ(Lsn::parse("0/10")->value(), 16u);
  EXPECT_EQ(Lsn::parse("1/0")->value(), 1ull << 32);
  EXPECT_GT(*Lsn::parse("10/0"), *Lsn::parse("9/FFFFFFFF"));  // "10/0" < "9/..." as strings
  EXPECT_FALSE(Lsn::parse("garbage"));
  EXPECT_FALSE(Lsn::parse("1/"));
}

TEST(Lsn, TheLowHalfRollsOverIntoTheHighHalf) {
  const auto before = *Lsn::parse("0/FFFFFFFF");
  const auto after = *Lsn::parse("1/0");
  EXPECT_LT(before, after);
  EXPECT_EQ(after - before, 1u);
  EXPECT_EQ(before - after, 0u);  // never negative: "how far behind" of a position ahead is 0
}

TEST(Lsn, RefusesWhatPostgresNeverPrints) {
  for (const char* bad : {"", "/", "/0", "0/", "0//0", "0/0/0", "g/0", "0/x1", "+1/0", "-1/0",
                          " 0/1", "0/1 ", "100000000/0", "0/100000000", "0x1/0"}) {
    EXPECT_FALSE(Lsn::parse(bad)) << bad;
  }
}

TEST(Lsn, FormatsAsPostgresDoes) {
  EXPECT_EQ(Lsn::parse("0/16b3748")->to_string(), "0/16B3748");
  EXPECT_EQ(Lsn::parse("00000001/00000000")->to_string(), "1/0");
  EXPECT_EQ(Lsn(0xFFFFFFFFFFFFFFFFull).to_string(), "FFFFFFFF/FFFFFFFF");
  EXPECT_EQ(Lsn().to_string(), "0/0");
  for (const char* text : {"0/0", "0/FFFFFFFF", "1/0", "A/B", "FFFFFFFF/FFFFFFFF"}) {
    EXPECT_EQ(Lsn::parse(text)->to_string(), text);
  }
}

}  // namespace
}  // namespace opsdb
