#include "opsdb/astro/visibility.hpp"

#include <erfa.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace opsdb {
namespace {

using Clock = std::chrono::system_clock;
using Seconds = std::chrono::duration<double>;

constexpr double kRadians = std::numbers::pi / 180.0;
constexpr double kUnixEpochJd = 2440587.5;  // 1970-01-01T00:00:00 as a Julian date
constexpr double kSecondsPerDay = 86400.0;
// Searches stop once the bracket is narrower than this.
constexpr double kResolutionSeconds = 1.0;

// `when` as the two-part quasi Julian date of ERFA's UTC routines (a leap-second day has 86401
// seconds in it, which only eraDtf2d knows about).
std::pair<double, double> utc_julian_date(Clock::time_point when) {
  const auto day = std::chrono::floor<std::chrono::days>(when);
  const std::chrono::year_month_day date{day};
  const auto whole = std::chrono::floor<std::chrono::seconds>(when - day);
  const std::chrono::hh_mm_ss clock_time{whole};
  const double second =
      static_cast<double>(clock_time.seconds().count()) + Seconds(when - day - whole).count();
  double jd1 = 0;
  double jd2 = 0;
  const int status =
      eraDtf2d("UTC", static_cast<int>(date.year()), static_cast<int>(unsigned(date.month())),
               static_cast<int>(unsigned(date.day())), static_cast<int>(clock_time.hours().count()),
               static_cast<int>(clock_time.minutes().count()), second, &jd1, &jd2);
  if (status < 0) throw std::invalid_argument("date out of range for the IAU routines");
  return {jd1, jd2};
}

// `when` as a two-part UT1 Julian date, UT1 being taken equal to UTC: the Unix day number and
// the fraction of the day, since a UT1 day always has 86400 seconds (a leap second lengthens
// UTC's day only, and the system clock cannot express one anyway).
std::pair<double, double> ut1_julian_date(Clock::time_point when) {
  const auto day = std::chrono::floor<std::chrono::days>(when);
  return {kUnixEpochJd + static_cast<double>(day.time_since_epoch().count()),
          Seconds(when - day).count() / kSecondsPerDay};
}

// Everything of the ICRS to observed transformation that depends on the time and the site: the
// Earth's position and velocity, precession-nutation, the Earth's rotation.
eraASTROM astrometry_at(const ObservingSite& site, Clock::time_point when) {
  const auto [utc1, utc2] = utc_julian_date(when);
  eraASTROM astrom{};
  double equation_of_origins = 0;
  // UT1 - UTC, polar motion and pressure are zero; without pressure there is no refraction, so
  // temperature, humidity and wavelength do not matter.
  const int status =
      eraApco13(utc1, utc2, 0.0, site.lon_deg * kRadians, site.lat_deg * kRadians, site.height_m,
                0.0, 0.0, 0.0, 0.0, 0.0, 0.0, &astrom, &equation_of_origins);
  // +1, a "dubious year", says only that ERFA's table of leap seconds may not be right for the
  // date (before 1960, or years after its release); a few seconds of TT hardly move a source.
  if (status < 0) throw std::invalid_argument("date out of range for the IAU routines");
  return astrom;
}

double normalised_azimuth(double degrees) {
  const double azimuth = std::fmod(degrees, 360.0);
  if (azimuth < 0) return azimuth + 360.0 < 360.0 ? azimuth + 360.0 : 0.0;
  return azimuth;
}

HorizontalPosition observe(eraASTROM& astrom, SkyPosition source) {
  double ra_cirs = 0;
  double dec_cirs = 0;
  eraAtciqz(source.ra_deg * kRadians, source.dec_deg * kRadians, &astrom, &ra_cirs, &dec_cirs);
  double azimuth = 0;
  double zenith_distance = 0;
  double hour_angle = 0;
  double dec_observed = 0;
  double ra_observed = 0;
  eraAtioq(ra_cirs, dec_cirs, &astrom, &azimuth, &zenith_distance, &hour_angle, &dec_observed,
           &ra_observed);
  return {90.0 - zenith_distance / kRadians, normalised_azimuth(azimuth / kRadians)};
}

// One source through one night. The slow parts of the transformation (precession-nutation, the
// Earth's position and velocity, hence aberration and light deflection) are computed once, at
// the middle of the night; each instant then only turns the Earth. Within 12 hours of that
// middle this moves a source by less than an arcsecond: precession by < 0.07", nutation by
// < 0.1", annual aberration by < 0.2" (the Earth's velocity turns by 0.5°), and diurnal
// aberration (0.3" at most, turning with the site) by < 0.6".
class NightCurve {
 public:
  NightCurve(const ObservingSite& site, SkyPosition source, Clock::time_point start)
      : start_(start),
        source_(source),
        astrom_(astrometry_at(site, start + std::chrono::hours(12))) {}

  HorizontalPosition at(Clock::time_point when) {
    const auto [ut1, ut2] = ut1_julian_date(when);
    eraAper13(ut1, ut2, &astrom_);
    return observe(astrom_, source_);
  }

  // Elevation at `offset` seconds after the start of the night.
  double elevation(double offset) { return at(time_of(offset)).elevation_deg; }

  Clock::time_point time_of(double offset) const {
    return start_ + std::chrono::duration_cast<Clock::duration>(Seconds(offset));
  }

 private:
  Clock::time_point start_;
  SkyPosition source_;
  eraASTROM astrom_;
};

// Results are given to the whole second.
double whole_second(double offset) {
  return std::round(offset);
}

// A point of the curve: seconds after the start of the night, elevation.
struct Point {
  double offset = 0;
  double elevation = 0;
};

// The highest (sign +1) or lowest (sign -1) point of the curve within [low, high], where it has
// a single extreme, by golden-section search. Never worse than `guess`, the best sample.
Point extreme(NightCurve& curve, double sign, double low, double high, Point guess) {
  constexpr double kInverseGolden = 0.6180339887498949;
  const auto value = [&](double offset) { return sign * curve.elevation(offset); };
  double inner_low = high - kInverseGolden * (high - low);
  double inner_high = low + kInverseGolden * (high - low);
  double value_low = value(inner_low);
  double value_high = value(inner_high);
  while (high - low > kResolutionSeconds) {
    if (value_low < value_high) {
      low = inner_low;
      inner_low = inner_high;
      value_low = value_high;
      inner_high = low + kInverseGolden * (high - low);
      value_high = value(inner_high);
    } else {
      high = inner_high;
      inner_high = inner_low;
      value_high = value_low;
      inner_low = high - kInverseGolden * (high - low);
      value_low = value(inner_low);
    }
  }
  const double offset = whole_second((low + high) / 2);
  const Point found{offset, curve.elevation(offset)};
  return sign * found.elevation >= sign * guess.elevation ? found : guess;
}

// The crossing of 0° between `a` and `b`, which lie on either side of it, by bisection.
double crossing(NightCurve& curve, Point a, Point b) {
  const bool a_up = a.elevation > 0;
  while (b.offset - a.offset > kResolutionSeconds) {
    const double middle = (a.offset + b.offset) / 2;
    if ((curve.elevation(middle) > 0) == a_up) {
      a.offset = middle;
    } else {
      b.offset = middle;
    }
  }
  return whole_second((a.offset + b.offset) / 2);
}

Clock::time_point night_start(const ObservingSite& site, std::chrono::year_month_day date) {
  const auto noon = std::chrono::sys_days{date} + std::chrono::hours(12);
  const Seconds solar_offset(site.lon_deg / 15.0 * 3600.0);
  return std::chrono::floor<std::chrono::minutes>(
      noon - std::chrono::duration_cast<Clock::duration>(solar_offset));
}

// The scanned points of a night: its samples, then the end of the window itself when the step
// does not divide the day.
class Scan {
 public:
  Scan(const NightVisibility& night, NightCurve& curve)
      : night_(night),
        window_seconds_(Seconds(night.end - night.start).count()),
        end_is_sample_(night.samples.back().time == night.end),
        end_(end_is_sample_ ? Point{} : Point{window_seconds_, curve.elevation(window_seconds_)}) {}

  std::size_t size() const { return night_.samples.size() + (end_is_sample_ ? 0 : 1); }

  Point operator[](std::size_t i) const {
    if (i == night_.samples.size()) return end_;
    const auto& sample = night_.samples[i];
    return {Seconds(sample.time - night_.start).count(), sample.elevation_deg};
  }

  double window_seconds() const { return window_seconds_; }

 private:
  const NightVisibility& night_;
  double window_seconds_;
  bool end_is_sample_;
  Point end_;
};

// The highest (sign +1) or lowest (sign -1) point of the night: the best scanned one, refined
// between its neighbours.
Point night_extreme(NightCurve& curve, const Scan& scan, double sign, double step_seconds) {
  Point best = scan[0];
  for (std::size_t i = 1; i < scan.size(); ++i) {
    const Point p = scan[i];
    if (sign * p.elevation > sign * best.elevation) best = p;
  }
  return extreme(curve, sign, std::max(0.0, best.offset - step_seconds),
                 std::min(scan.window_seconds(), best.offset + step_seconds), best);
}

// Sets the night's first rise and first set. With the two extremes among the scanned points the
// curve is monotonic between neighbours (it climbs and falls once a sidereal day), so every
// crossing shows as a change of sign, even in a dip that two samples straddle.
void find_crossings(NightVisibility& night, NightCurve& curve, const Scan& scan,
                    std::array<Point, 2> extremes) {
  if (extremes[1].offset < extremes[0].offset) std::swap(extremes[0], extremes[1]);
  Point previous = scan[0];
  const auto visit = [&](Point next) {
    if ((previous.elevation > 0) != (next.elevation > 0)) {
      auto& found = next.elevation > 0 ? night.rise : night.set;
      if (!found) found = curve.time_of(crossing(curve, previous, next));
    }
    previous = next;
  };
  for (std::size_t i = 1; i < scan.size() && !(night.rise && night.set); ++i) {
    const Point next = scan[i];
    for (const Point& e : extremes) {
      if (e.offset > previous.offset && e.offset < next.offset) visit(e);
    }
    visit(next);
  }
}

}  // namespace

HorizontalPosition horizontal_position(const ObservingSite& site, SkyPosition source,
                                       Clock::time_point when) {
  eraASTROM astrom = astrometry_at(site, when);
  return observe(astrom, source);
}

NightVisibility night_visibility(const ObservingSite& site, SkyPosition source,
                                 std::chrono::year_month_day date, int step_minutes) {
  if (step_minutes < 1 || step_minutes > 120) {
    throw std::invalid_argument("step_minutes must be between 1 and 120");
  }
  // The system clock spans 1678 to 2262 only.
  if (!date.ok() || date.year() < std::chrono::year(1900) ||
      date.year() >= std::chrono::year(2200)) {
    throw std::invalid_argument("the date must be valid and within the years 1900 to 2199");
  }
  NightVisibility night;
  night.start = night_start(site, date);
  night.end = night.start + std::chrono::days(1);
  NightCurve curve(site, source, night.start);

  const std::chrono::minutes step(step_minutes);
  night.samples.reserve(static_cast<std::size_t>(24 * 60 / step_minutes + 1));
  for (auto t = night.start; t <= night.end; t += step) {
    const auto position = curve.at(t);
    night.samples.push_back({t, position.elevation_deg, position.azimuth_deg});
  }

  const Scan scan(night, curve);
  const Point highest = night_extreme(curve, scan, +1, Seconds(step).count());
  const Point lowest = night_extreme(curve, scan, -1, Seconds(step).count());
  night.transit = curve.time_of(highest.offset);
  night.max_elevation_deg = highest.elevation;
  if (lowest.elevation > 0) {
    night.kind = VisibilityKind::always_up;
  } else if (highest.elevation <= 0) {
    night.kind = VisibilityKind::never_up;
  } else {
    night.kind = VisibilityKind::rises_and_sets;
    find_crossings(night, curve, scan, {highest, lowest});
  }
  return night;
}

}  // namespace opsdb
