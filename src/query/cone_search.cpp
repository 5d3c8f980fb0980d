#include "opsdb/query/cone_search.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>

namespace opsdb {
namespace {

constexpr double kRadians = std::numbers::pi / 180.0;

// A little slack on every bound: the exact test decides, and a bound computed a rounding error
// too tight must never drop a source that lies on the circle.
constexpr double kSlackDeg = 1e-9;

}  // namespace

double angular_distance_deg(SkyPosition a, SkyPosition b) {
  const double dec_a = a.dec_deg * kRadians;
  const double dec_b = b.dec_deg * kRadians;
  const double half_ddec = (dec_b - dec_a) / 2;
  const double half_dra = (b.ra_deg - a.ra_deg) * kRadians / 2;
  const double h = std::sin(half_ddec) * std::sin(half_ddec) +
                   std::cos(dec_a) * std::cos(dec_b) * std::sin(half_dra) * std::sin(half_dra);
  return 2 * std::asin(std::sqrt(std::clamp(h, 0.0, 1.0))) / kRadians;
}

ConeWindow cone_window(SkyPosition center, double radius_deg) {
  ConeWindow window;
  window.dec_min = std::max(-90.0, center.dec_deg - radius_deg - kSlackDeg);
  window.dec_max = std::min(90.0, center.dec_deg + radius_deg + kSlackDeg);
  // A cone that reaches a pole contains every right ascension near it.
  if (window.dec_min <= -90.0 || window.dec_max >= 90.0) {
    window.ra_ranges = {{0.0, 360.0}};
    return window;
  }
  // The widest right-ascension offset on the cone: sin(Δα) = sin(r) / cos(δ).
  const double ratio = std::sin(radius_deg * kRadians) / std::cos(center.dec_deg * kRadians);
  if (ratio >= 1.0 || radius_deg >= 90.0) {
    window.ra_ranges = {{0.0, 360.0}};
    return window;
  }
  const double half_width = std::asin(ratio) / kRadians + kSlackDeg;
  const double low = center.ra_deg - half_width;
  const double high = center.ra_deg + half_width;
  if (low < 0.0) {
    window.ra_ranges = {{0.0, high}, {low + 360.0, 360.0}};
  } else if (high >= 360.0) {
    window.ra_ranges = {{low, 360.0}, {0.0, high - 360.0}};
  } else {
    window.ra_ranges = {{low, high}};
  }
  return window;
}

std::string distance_key(double distance_deg) {
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof(text), distance_deg);
  return ec == std::errc{} ? std::string(text, end) : std::string("0");
}

std::vector<nlohmann::json> cone_page(std::vector<nlohmann::json> candidates, SkyPosition center,
                                      double radius_deg,
                                      const std::optional<std::pair<std::string, long long>>& after,
                                      int limit) {
  std::vector<std::pair<double, nlohmann::json>> inside;
  for (auto& record : candidates) {
    const auto ra = record.find("ra_deg");
    const auto dec = record.find("dec_deg");
    if (ra == record.end() || dec == record.end() || !ra->is_number() || !dec->is_number()) {
      continue;
    }
    const double distance = angular_distance_deg(center, {ra->get<double>(), dec->get<double>()});
    if (distance > radius_deg) continue;
    record["distance_deg"] = distance;
    inside.emplace_back(distance, std::move(record));
  }
  const auto id_of = [](const nlohmann::json& r) { return r.value("id", 0LL); };
  std::sort(inside.begin(), inside.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : id_of(a.second) < id_of(b.second);
  });
  std::optional<std::pair<double, long long>> start;
  if (after) {
    double distance = 0;
    std::from_chars(after->first.data(), after->first.data() + after->first.size(), distance);
    start.emplace(distance, after->second);
  }
  std::vector<nlohmann::json> page;
  for (auto& [distance, record] : inside) {
    if (start && std::make_pair(distance, id_of(record)) <= *start) continue;
    page.push_back(std::move(record));
    if (static_cast<int>(page.size()) > limit) break;
  }
  return page;
}

}  // namespace opsdb
