#include "opsdb/astro/sexagesimal.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

namespace opsdb {
namespace {

struct Case {
  double degrees;
  const char* text;
};

TEST(Sexagesimal, RightAscensionReadsInHoursMinutesAndSeconds) {
  const Case cases[] = {
      {0, "00:00:00.00"},   {83.82, "05:35:16.80"},  {266.41683, "17:45:40.04"},
      {180, "12:00:00.00"}, {359.99, "23:59:57.60"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_ra_hms(c.degrees), c.text) << c.degrees;
}

TEST(Sexagesimal, RightAscensionCarriesRoundingIntoEveryField) {
  const Case cases[] = {
      {59.996 * 15 / 3600, "00:01:00.00"},    // seconds into minutes
      {3599.999 * 15 / 3600, "01:00:00.00"},  // and minutes into hours
      {359.99999999, "00:00:00.00"},          // and 24 hours round to zero
      {360, "00:00:00.00"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_ra_hms(c.degrees), c.text) << c.degrees;
}

TEST(Sexagesimal, RightAscensionIsTakenModulo360) {
  EXPECT_EQ(format_ra_hms(-15), "23:00:00.00");
  EXPECT_EQ(format_ra_hms(-0.0000001), "00:00:00.00");
  EXPECT_EQ(format_ra_hms(720.5), "00:02:00.00");
}

TEST(Sexagesimal, DeclinationAlwaysCarriesItsSign) {
  const Case cases[] = {
      {-5.39, "-05:23:24.0"}, {-29.00781, "-29:00:28.1"},
      {10.5, "+10:30:00.0"},  {90, "+90:00:00.0"},
      {-90, "-90:00:00.0"},   {-0.00002, "-00:00:00.1"},  // 0.07" rounds to a tenth: still south
  };
  for (const auto& c : cases) EXPECT_EQ(format_dec_dms(c.degrees), c.text) << c.degrees;
}

TEST(Sexagesimal, DeclinationThatRoundsToZeroReadsPlus) {
  EXPECT_EQ(format_dec_dms(0.0), "+00:00:00.0");
  EXPECT_EQ(format_dec_dms(-0.0), "+00:00:00.0");
  EXPECT_EQ(format_dec_dms(-0.0000001), "+00:00:00.0");
  EXPECT_EQ(format_dec_dms(0.0000001), "+00:00:00.0");
}

TEST(Sexagesimal, DeclinationCarriesRoundingIntoEveryField) {
  const Case cases[] = {
      {5 + 59.0 / 60 + 59.96 / 3600, "+06:00:00.0"},
      {10.9999999, "+11:00:00.0"},
      {-0.99999999, "-01:00:00.0"},
      {-(12 + 34.0 / 60 + 59.97 / 3600), "-12:35:00.0"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_dec_dms(c.degrees), c.text) << c.degrees;
}

TEST(Sexagesimal, RejectsWhatIsNoAngleOnTheSky) {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  EXPECT_THROW(format_ra_hms(kNan), std::invalid_argument);
  EXPECT_THROW(format_ra_hms(kInfinity), std::invalid_argument);
  EXPECT_THROW(format_dec_dms(kNan), std::invalid_argument);
  EXPECT_THROW(format_dec_dms(90.0001), std::invalid_argument);
  EXPECT_THROW(format_dec_dms(-91), std::invalid_argument);
}

}  // namespace
}  // namespace opsdb
