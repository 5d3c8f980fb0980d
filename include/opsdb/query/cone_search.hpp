#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace opsdb {

/// A direction on the sky in degrees: right ascension in [0, 360), declination in [-90, 90].
struct SkyPosition {
  double ra_deg = 0;
  double dec_deg = 0;
};

/// The angle between two directions in degrees, by the haversine formula: exact for tiny
/// separations, where the cosine formula loses its digits, and up to 180°.
double angular_distance_deg(SkyPosition a, SkyPosition b);

/// A box on indexed columns that holds every direction within `radius` of a centre: a
/// declination band, and one or two right-ascension ranges within [0, 360) (two when the cone
/// crosses RA 0; one covering everything when it reaches a pole). Used to prefilter on an index
/// before the exact distance is tested, so no source is ever missed and few are read in vain.
struct ConeWindow {
  double dec_min = -90;
  double dec_max = 90;
  std::vector<std::pair<double, double>> ra_ranges{};  // inclusive bounds
};

/// The window of the cone around `center` with `radius_deg` in (0, 180].
ConeWindow cone_window(SkyPosition center, double radius_deg);

/// One page of a cone search from the window's candidates (source records with `ra_deg`,
/// `dec_deg` and `id`): those within `radius_deg` of `center`, each given `distance_deg`,
/// nearest first (then by id), after the cursor position `after` (a distance as text and an id),
/// at most `limit` + 1 of them (one more says there is a next page).
std::vector<nlohmann::json> cone_page(std::vector<nlohmann::json> candidates, SkyPosition center,
                                      double radius_deg,
                                      const std::optional<std::pair<std::string, long long>>& after,
                                      int limit);

/// The exact text of a distance, as cursors carry it (it parses back to the same double).
std::string distance_key(double distance_deg);

}  // namespace opsdb
