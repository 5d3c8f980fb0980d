#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opsdb {

/// The sampling step of a night when a request names none, in minutes.
inline constexpr int kDefaultVisibilityStep = 10;

/// What `GET /visibility/{source_id}` asks for: a night (none: tonight) and a step.
struct NightQuery {
  std::optional<std::chrono::year_month_day> date;
  int step_minutes = kDefaultVisibilityStep;
};

/// Nights of several sources: `days` consecutive nights from `start`, every `step_minutes`.
/// The grid of `GET /visibility/heatmap` and the work of `POST /visibility/precalculate`.
struct NightsRequest {
  std::vector<long long> source_ids;  // distinct, in the order asked
  std::chrono::year_month_day start{};
  int days = 1;
  int step_minutes = kDefaultVisibilityStep;

  /// Bounds of one request, so that one request cannot occupy the computing threads for long
  /// (about 0.2 ms per night at step 5) nor produce an answer of unbounded size.
  static constexpr std::size_t kMaxSources = 20;
  static constexpr int kMaxDays = 62;
  static constexpr long long kMaxSamples = 200'000;

  /// Samples of the whole request: sources × days × samples per night.
  long long samples() const;
};

/// Samples in one night at `step_minutes`: start, start + step, ... up to 24 hours later.
int samples_per_night(int step_minutes);

/// A calendar date "YYYY-MM-DD" within the years night_visibility accepts (1900 to 2199);
/// nullopt otherwise.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);

/// "YYYY-MM-DD".
std::string format_date(std::chrono::year_month_day date);

/// Parses the query string of `GET /visibility/{source_id}` (`date`, `step_minutes`); throws
/// ApiError(bad_request) naming the parameter.
NightQuery parse_night_query(const std::map<std::string, std::string>& query);

/// Parses the query string of `GET /visibility/heatmap` (`source_ids` comma-separated,
/// `start`, `days` default 7, `step_minutes`); throws ApiError(bad_request) naming the
/// parameter or the limit exceeded.
NightsRequest parse_heatmap_query(const std::map<std::string, std::string>& query);

/// Parses the body of `POST /visibility/precalculate`: {"source_ids": [..], "start":
/// "YYYY-MM-DD", "days": N, "step_minutes": M (optional)}, with the bounds of the heatmap;
/// throws ApiError(bad_request).
NightsRequest parse_precalculate_body(const nlohmann::json& body);

}  // namespace opsdb
