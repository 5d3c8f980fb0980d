#pragma once

#include <string>

namespace opsdb {

/// A right ascension in degrees as hours, minutes and seconds of time, "HH:MM:SS.ss": taken
/// modulo 360 and rounded to the hundredth of a second, with carries (a value that rounds to
/// 24 hours reads "00:00:00.00"). Throws std::invalid_argument for NaN or infinity.
std::string format_ra_hms(double ra_deg);

/// A declination in degrees, within [-90, 90], as signed degrees, minutes and seconds of arc,
/// "+DD:MM:SS.s" or "-DD:MM:SS.s": rounded to the tenth of an arcsecond, with carries; the sign
/// is always shown, and is '+' for anything that rounds to zero. Throws std::invalid_argument
/// outside that range and for NaN.
std::string format_dec_dms(double dec_deg);

}  // namespace opsdb
