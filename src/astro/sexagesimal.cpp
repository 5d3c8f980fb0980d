#include "opsdb/astro/sexagesimal.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace opsdb {
namespace {

// An angle in its fields: hours or degrees, minutes, seconds, and the fraction of a second in
// the smallest unit shown. The angle is rounded once, to a whole number of that unit, so every
// carry happens in integer arithmetic.
struct Sexagesimal {
  long long whole;
  long long minutes;
  long long seconds;
  long long fraction;
};

Sexagesimal split(long long units, long long units_per_second) {
  const long long seconds = units / units_per_second;
  return {seconds / 3600, seconds / 60 % 60, seconds % 60, units % units_per_second};
}

}  // namespace

std::string format_ra_hms(double ra_deg) {
  if (!std::isfinite(ra_deg)) throw std::invalid_argument("right ascension must be finite");
  constexpr long long kPerSecond = 100;
  constexpr long long kPerDay = 24LL * 3600 * kPerSecond;
  double degrees = std::fmod(ra_deg, 360.0);
  if (degrees < 0) degrees += 360.0;
  // 360° is 24 h; a value that rounds up to it wraps round to zero.
  const long long units = std::llround(degrees / 15.0 * 3600.0 * kPerSecond) % kPerDay;
  const Sexagesimal hms = split(units, kPerSecond);
  char text[16];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld.%02lld", hms.whole, hms.minutes,
                hms.seconds, hms.fraction);
  return text;
}

std::string format_dec_dms(double dec_deg) {
  if (!(dec_deg >= -90.0 && dec_deg <= 90.0)) {
    throw std::invalid_argument("declination must be within [-90, 90]");
  }
  constexpr long long kPerSecond = 10;
  const long long units = std::llround(std::fabs(dec_deg) * 3600.0 * kPerSecond);
  const Sexagesimal dms = split(units, kPerSecond);
  char text[16];
  std::snprintf(text, sizeof text, "%c%02lld:%02lld:%02lld.%lld",
                dec_deg < 0 && units > 0 ? '-' : '+', dms.whole, dms.minutes, dms.seconds,
                dms.fraction);
  return text;
}

}  // namespace opsdb
