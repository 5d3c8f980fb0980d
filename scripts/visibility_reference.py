#!/usr/bin/python3
"""Writes tests/unit/data/visibility_reference.json: when a few fixed sources are up at the
telescope on three nights, computed independently with astropy, for tests/unit/visibility_test.cpp.

Needs Debian's python3-astropy (5.2), which nothing else in the project uses: install it only to
regenerate the file (`apt-get install python3-astropy`), then run this script with the system
interpreter, /usr/bin/python3, from the repository root or anywhere else.

Works offline: astropy downloads no Earth orientation data and uses the tables it ships. Beyond
their end (December 2022) it holds the last tabulated UT1-UTC (-0.019 s) and polar motion (0.2"),
which is within a third of an arcsecond of the UT1 = UTC, no polar motion, that the C++ code
assumes. Refraction is off (pressure 0), as in the C++ code.
"""

import datetime as dt
import json
import pathlib
import re
import warnings

import astropy
import astropy.units as u
import erfa
import numpy as np
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.time import Time
from astropy.utils import iers

iers.conf.auto_download = False
iers.conf.iers_degraded_accuracy = "warn"

SITE = {"lat_deg": -22.9856, "lon_deg": -67.7403, "height_m": 5612.0}
SOURCES = [
    ("near RA 0", 0.5, 10.0),
    ("Orion", 83.82, -5.39),
    ("Galactic centre", 266.42, -29.01),
    ("circumpolar", 120.0, -80.0),
    ("never rises", 210.0, 70.0),
    ("southern", 150.0, -40.0),
]
DATES = [dt.date(2021, 6, 21), dt.date(2026, 12, 1), dt.date(2027, 3, 20)]
STEP_MINUTES = 10
# Rise, set and transit come from this finer grid: crossings by linear interpolation between its
# points, the maximum by a parabola through the best three.
FINE_SECONDS = 20

OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "tests/unit/data/visibility_reference.json"


def night_window(date):
    """Local mean noon of `date` to local mean noon of the next day, start truncated to the minute."""
    noon = dt.datetime(date.year, date.month, date.day, 12, tzinfo=dt.timezone.utc)
    start = noon - dt.timedelta(hours=SITE["lon_deg"] / 15)
    start = start.replace(second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_rounded(moment):
    return iso((moment + dt.timedelta(milliseconds=500)).replace(microsecond=0))


def at_offset(start, seconds):
    return start + dt.timedelta(seconds=float(seconds))


def first_crossing(seconds, elevation, upward):
    """Time in seconds from the start of the first crossing of 0 degrees, or None."""
    up = elevation > 0
    edges = np.nonzero(up[1:] != up[:-1])[0]
    for i in edges:
        if up[i + 1] == upward:
            fraction = elevation[i] / (elevation[i] - elevation[i + 1])
            return seconds[i] + fraction * (seconds[i + 1] - seconds[i])
    return None


def maximum(seconds, elevation):
    """Time in seconds from the start and value of the highest elevation on the grid."""
    i = int(np.argmax(elevation))
    if i == 0 or i == len(elevation) - 1:
        return seconds[i], elevation[i]
    low, mid, high = elevation[i - 1 : i + 2]
    curvature = low - 2 * mid + high
    shift = 0.5 * (low - high) / curvature
    step = seconds[1] - seconds[0]
    return seconds[i] + shift * step, mid - 0.25 * (low - high) * shift


def night(location, name, ra, dec, date):
    start, end = night_window(date)
    seconds = np.arange(0, 86400 + 1, FINE_SECONDS)
    times = Time([at_offset(start, s) for s in seconds], scale="utc")
    frame = AltAz(obstime=times, location=location, pressure=0 * u.hPa)
    observed = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs").transform_to(frame)
    elevation = observed.alt.deg
    azimuth = observed.az.deg % 360.0

    every = STEP_MINUTES * 60 // FINE_SECONDS
    samples = [
        [iso(at_offset(start, seconds[i])), round(elevation[i], 6), round(azimuth[i], 6)]
        for i in range(0, len(seconds), every)
    ]
    rise = first_crossing(seconds, elevation, upward=True)
    set_ = first_crossing(seconds, elevation, upward=False)
    transit, max_elevation = maximum(seconds, elevation)
    if elevation.min() > 0:
        kind = "always_up"
    elif max_elevation <= 0:
        kind = "never_up"
    else:
        kind = "rises_and_sets"
    return {
        "source": {"name": name, "ra_deg": ra, "dec_deg": dec},
        "date": date.isoformat(),
        "start": iso(start),
        "end": iso(end),
        "ut1_minus_utc_s": round(float(times[len(times) // 2].delta_ut1_utc), 4),
        "kind": kind,
        "rise": None if rise is None else iso_rounded(at_offset(start, rise)),
        "set": None if set_ is None else iso_rounded(at_offset(start, set_)),
        "transit": iso_rounded(at_offset(start, transit)),
        "max_elevation_deg": round(float(max_elevation), 6),
        "samples": samples,
    }


def main():
    location = EarthLocation.from_geodetic(
        lon=SITE["lon_deg"] * u.deg, lat=SITE["lat_deg"] * u.deg, height=SITE["height_m"] * u.m
    )
    with warnings.catch_warnings():
        # Times past the shipped tables warn on every transformation; the docstring says why
        # that is harmless here.
        warnings.simplefilter("ignore")
        nights = [night(location, *source, date) for source in SOURCES for date in DATES]
    reference = {
        "generator": {
            "script": "scripts/visibility_reference.py",
            "astropy": astropy.__version__,
            "pyerfa": erfa.__version__,
            "iers": {
                "auto_download": iers.conf.auto_download,
                "iers_degraded_accuracy": iers.conf.iers_degraded_accuracy,
                "note": "shipped tables only; past their end the last UT1-UTC and polar motion "
                "are held (ut1_minus_utc_s per night is the value used)",
            },
            "frame": "ICRS to AltAz, pressure 0 (no refraction)",
            "fine_step_seconds": FINE_SECONDS,
            "crossings": "linear interpolation on the fine grid; transit: parabola through the "
            "best three points",
        },
        "site": SITE,
        "step_minutes": STEP_MINUTES,
        "sample_fields": ["time", "elevation_deg", "azimuth_deg"],
        "nights": nights,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # One sample a line keeps the file short and its diffs readable.
    text = re.sub(r"\[\s+(\"[^\"]*\"),\s+(\S+),\s+(\S+)\s+\]", r"[\1, \2, \3]",
                  json.dumps(reference, indent=1))
    OUTPUT.write_text(text + "\n")
    print(f"wrote {len(nights)} nights to {OUTPUT}")


if __name__ == "__main__":
    main()
