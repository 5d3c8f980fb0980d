#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "opsdb/query/cone_search.hpp"

namespace opsdb {

/// Where the telescope stands: geodetic latitude and longitude in degrees (east positive) and
/// height above the WGS84 ellipsoid in metres.
struct ObservingSite {
  double lat_deg = 0;
  double lon_deg = 0;
  double height_m = 0;
};

/// A direction as seen from the site, in degrees: elevation above the horizon, and azimuth from
/// north through east in [0, 360).
struct HorizontalPosition {
  double elevation_deg = 0;
  double azimuth_deg = 0;
};

/// Where the ICRS direction `source` appears from `site` at `when` (UTC): topocentric and
/// geometric, with precession, nutation, aberration and light deflection but no refraction. UT1
/// is taken equal to UTC (off by less than 0.9 s, so by up to 14" in hour angle) and polar motion
/// as zero (under 1"). Throws std::invalid_argument for a date the IAU routines reject.
HorizontalPosition horizontal_position(const ObservingSite& site, SkyPosition source,
                                       std::chrono::system_clock::time_point when);

/// Where a source is at one instant of a night.
struct VisibilitySample {
  std::chrono::system_clock::time_point time;
  double elevation_deg = 0;
  double azimuth_deg = 0;
};

/// Whether a source crosses the horizon during a night, or stays above or below it throughout.
enum class VisibilityKind { rises_and_sets, always_up, never_up };

/// A source's course through one night, all of it within [start, end].
struct NightVisibility {
  /// The night window, 24 hours long.
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  /// At start, start + step, ... up to end.
  std::vector<VisibilitySample> samples;
  /// Decided from the whole curve (its true minimum and maximum), not from the samples alone.
  VisibilityKind kind = VisibilityKind::never_up;
  /// The first upward and the first downward crossing of 0° elevation, to the second; either may
  /// be absent when the source rises and sets (a crossing outside the window), both are absent
  /// otherwise.
  std::optional<std::chrono::system_clock::time_point> rise;
  std::optional<std::chrono::system_clock::time_point> set;
  /// When the elevation is highest within the window, to the second: the upper culmination, or
  /// an end of the window when that falls outside it.
  std::chrono::system_clock::time_point transit;
  /// The elevation at `transit`.
  double max_elevation_deg = 0;
};

/// The course of `source` through the night that begins on `date` at `site`: from local mean
/// noon of that date (12:00 UTC minus lon_deg / 15 hours, truncated to the whole minute) to the
/// same time the next day, sampled every `step_minutes` (1 to 120). Positions as
/// horizontal_position gives them, to within an arcsecond. Throws std::invalid_argument for a
/// step out of range, or a date that is invalid or outside the years 1900 to 2199.
NightVisibility night_visibility(const ObservingSite& site, SkyPosition source,
                                 std::chrono::year_month_day date, int step_minutes);

}  // namespace opsdb
