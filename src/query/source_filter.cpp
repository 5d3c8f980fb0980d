#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "opsdb/core/error.hpp"
#include "opsdb/core/utf8.hpp"
#include "opsdb/query/query_parameters.hpp"
#include "opsdb/query/source_catalog.hpp"

namespace opsdb {
namespace {

constexpr std::size_t kMaxNameFilter = 200;
constexpr const char* kTypes[] = {"fixed_source", "solar_system_object",
                                  "constant_elevation_source"};

double parse_degrees(const std::string& name, const std::string& text, double min, double max,
                     bool max_inclusive) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool in_range =
      std::isfinite(value) && value >= min && (max_inclusive ? value <= max : value < max);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || !in_range) {
    throw ApiError(ErrorKind::bad_request, name + " must be a number of degrees in [" +
                                               std::to_string(min) + ", " + std::to_string(max) +
                                               (max_inclusive ? "]" : ")"));
  }
  return value;
}

std::string to_hex(const std::string& text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : text) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0x0f]);
  }
  return hex;
}

std::optional<std::string> from_hex(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string text;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (ec != std::errc{} || ptr != hex.data() + i + 2) return std::nullopt;
    text.push_back(static_cast<char>(value));
  }
  return text;
}

}  // namespace

std::string make_source_cursor(const std::string& key, long long id) {
  return std::to_string(id) + "." + to_hex(key);
}

namespace {

// "<id>.<hex of the sort key>": opaque to clients, checked when it comes back.
std::pair<std::string, long long> parse_cursor(const std::string& cursor) {
  const auto bad = [] {
    return ApiError(ErrorKind::bad_request, "cursor is not one this API issued");
  };
  const auto dot = cursor.find('.');
  if (dot == std::string::npos || dot == 0 || dot > 18) throw bad();
  long long id = 0;
  auto [ptr, ec] = std::from_chars(cursor.data(), cursor.data() + dot, id);
  if (ec != std::errc{} || ptr != cursor.data() + dot || id < 1) throw bad();
  auto key = from_hex(cursor.substr(dot + 1));
  if (!key || key->size() > 1024 || !is_valid_utf8(*key)) throw bad();
  // Only the spelling this API issues (no leading zeros, lower-case hex) is one.
  if (make_source_cursor(*key, id) != cursor) throw bad();
  return {std::move(*key), id};
}

}  // namespace

SourceFilter parse_source_filter(const std::map<std::string, std::string>& query) {
  SourceFilter f;
  std::optional<double> ra, dec, radius;
  for (const auto& [key, value] : query) {
    if (key == "name") {
      if (value.empty() || value.size() > kMaxNameFilter || !is_valid_utf8(value)) {
        throw ApiError(ErrorKind::bad_request, "name must be 1 to 200 bytes of UTF-8");
      }
      f.name_contains = value;
    } else if (key == "type") {
      if (std::find(std::begin(kTypes), std::end(kTypes), value) == std::end(kTypes)) {
        throw ApiError(ErrorKind::bad_request,
                       "type must be fixed_source, solar_system_object or "
                       "constant_elevation_source");
      }
      f.type = value;
    } else if (key == "ra") {
      ra = parse_degrees(key, value, 0, 360, false);
    } else if (key == "dec") {
      dec = parse_degrees(key, value, -90, 90, true);
    } else if (key == "radius") {
      radius = parse_degrees(key, value, 0, 180, true);
      if (*radius <= 0) throw ApiError(ErrorKind::bad_request, "radius must be above 0 degrees");
    } else if (key == "limit") {
      f.limit = parse_int_parameter(key, value, 1, SourceFilter::kMaxLimit);
    } else if (key == "cursor") {
      f.after = parse_cursor(value);
    } else {
      throw ApiError(ErrorKind::bad_request,
                     "unknown parameter '" + key +
                         "' (name, type, ra, dec, radius, limit and cursor are known)");
    }
  }
  const int given = static_cast<int>(ra.has_value()) + static_cast<int>(dec.has_value()) +
                    static_cast<int>(radius.has_value());
  if (given != 0 && given != 3) {
    throw ApiError(ErrorKind::bad_request, "a cone search needs ra, dec and radius together");
  }
  if (given == 3) f.cone = SourceFilter::Cone{{*ra, *dec}, *radius};
  if (f.cone && f.after) {
    double distance = 0;
    const auto& key = f.after->first;
    auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), distance);
    if (ec != std::errc{} || ptr != key.data() + key.size()) {
      throw ApiError(ErrorKind::bad_request, "cursor is not one this API issued");
    }
  }
  return f;
}

}  // namespace opsdb
