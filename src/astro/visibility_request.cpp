#include "opsdb/astro/visibility_request.hpp"

#include <algorithm>
#include <charconv>

#include "opsdb/core/error.hpp"

namespace opsdb {
namespace {

using std::chrono::year_month_day;

constexpr year_month_day kLastDate{std::chrono::year{2199}, std::chrono::December,
                                   std::chrono::day{31}};

[[noreturn]] void refuse(const std::string& message) {
  throw ApiError(ErrorKind::bad_request, message);
}

// Decimal digits only (no sign, no spaces), short enough to never overflow.
std::optional<long long> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.front() == '-' ||
      text.front() == '+') {
    return std::nullopt;
  }
  return value;
}

int bounded(std::string_view name, std::string_view text, int min, int max) {
  const auto value = parse_count(text);
  if (!value || *value < min || *value > max) {
    refuse(std::string(name) + " must be an integer from " + std::to_string(min) + " to " +
           std::to_string(max) + ", not '" + std::string(text.substr(0, 40)) + "'");
  }
  return static_cast<int>(*value);
}

year_month_day date_parameter(std::string_view name, std::string_view text) {
  const auto date = parse_date(text);
  if (!date) {
    refuse(std::string(name) + " must be a date YYYY-MM-DD between 1900-01-01 and 2199-12-31, " +
           "not '" + std::string(text.substr(0, 40)) + "'");
  }
  return *date;
}

void add_source_id(std::vector<long long>& ids, long long id) {
  if (id < 1) refuse("source ids are positive integers");
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  if (ids.size() > NightsRequest::kMaxSources) {
    refuse("at most " + std::to_string(NightsRequest::kMaxSources) +
           " sources may be asked for at once");
  }
}

std::vector<long long> parse_id_list(std::string_view text) {
  std::vector<long long> ids;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto comma = text.find(',', at);
    if (comma == std::string_view::npos) comma = text.size();
    const auto item = text.substr(at, comma - at);
    const auto id = parse_count(item);
    if (!id) {
      refuse("source_ids must be positive integers separated by commas, not '" +
             std::string(item.substr(0, 40)) + "'");
    }
    add_source_id(ids, *id);
    at = comma + 1;
  }
  return ids;
}

// The checks every multi-night request shares: at least one source, the last night within
// range, and the total work within bounds.
NightsRequest checked(NightsRequest request) {
  if (request.source_ids.empty()) refuse("source_ids must name at least one source");
  const auto last = std::chrono::sys_days{request.start} + std::chrono::days{request.days - 1};
  if (last > std::chrono::sys_days{kLastDate})
    refuse("the last night must be on or before 2199-12-31");
  if (request.samples() > NightsRequest::kMaxSamples) {
    refuse("the request asks for " + std::to_string(request.samples()) +
           " samples (sources x days x samples per night); at most " +
           std::to_string(NightsRequest::kMaxSamples) +
           " are computed at once: ask for fewer sources or days, or a larger step_minutes");
  }
  return request;
}

const std::string* find(const std::map<std::string, std::string>& query, const char* key) {
  const auto it = query.find(key);
  return it == query.end() ? nullptr : &it->second;
}

}  // namespace

int samples_per_night(int step_minutes) {
  return 24 * 60 / std::max(step_minutes, 1) + 1;
}

long long NightsRequest::samples() const {
  return static_cast<long long>(source_ids.size()) * days * samples_per_night(step_minutes);
}

std::optional<year_month_day> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto year = parse_count(text.substr(0, 4));
  const auto month = parse_count(text.substr(5, 2));
  const auto day = parse_count(text.substr(8, 2));
  if (!year || !month || !day) return std::nullopt;
  const year_month_day date{std::chrono::year{static_cast<int>(*year)},
                            std::chrono::month{static_cast<unsigned>(*month)},
                            std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *year < 1900 || date > kLastDate) return std::nullopt;
  return date;
}

std::string format_date(year_month_day date) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

NightQuery parse_night_query(const std::map<std::string, std::string>& query) {
  NightQuery parsed;
  for (const auto& [key, value] : query) {
    if (key == "date") {
      parsed.date = date_parameter("date", value);
    } else if (key == "step_minutes") {
      parsed.step_minutes = bounded("step_minutes", value, 1, 120);
    } else {
      refuse("unknown parameter '" + key.substr(0, 40) + "' (date, step_minutes)");
    }
  }
  return parsed;
}

NightsRequest parse_heatmap_query(const std::map<std::string, std::string>& query) {
  NightsRequest request;
  request.days = 7;
  bool has_start = false;
  for (const auto& [key, value] : query) {
    if (key == "source_ids") {
      request.source_ids = parse_id_list(value);
    } else if (key == "start") {
      request.start = date_parameter("start", value);
      has_start = true;
    } else if (key == "days") {
      request.days = bounded("days", value, 1, NightsRequest::kMaxDays);
    } else if (key == "step_minutes") {
      request.step_minutes = bounded("step_minutes", value, 1, 120);
    } else {
      refuse("unknown parameter '" + key.substr(0, 40) +
             "' (source_ids, start, days, step_minutes)");
    }
  }
  if (find(query, "source_ids") == nullptr) refuse("source_ids is required");
  if (!has_start) refuse("start is required (YYYY-MM-DD, the date of the first night)");
  return checked(std::move(request));
}

NightsRequest parse_precalculate_body(const nlohmann::json& body) {
  if (!body.is_object()) refuse("the body must be a JSON object");
  NightsRequest request;
  for (const auto& [key, value] : body.items()) {
    if (key == "source_ids") {
      if (!value.is_array()) refuse("source_ids must be an array of source ids");
      for (const auto& id : value) {
        if (!id.is_number_integer()) refuse("source_ids must hold positive integers");
        if (id.is_number_unsigned() && id.get<unsigned long long>() > (1ULL << 62)) {
          refuse("source ids are positive integers");
        }
        add_source_id(request.source_ids, id.get<long long>());
      }
    } else if (key == "start") {
      if (!value.is_string()) refuse("start must be a date YYYY-MM-DD");
      request.start = date_parameter("start", value.get<std::string>());
    } else if (key == "days" || key == "step_minutes") {
      const bool days = key == "days";
      const int max = days ? NightsRequest::kMaxDays : 120;
      if (!value.is_number_integer() || value.get<long long>() < 1 ||
          (value.is_number_unsigned() && value.get<unsigned long long>() > 1000) ||
          value.get<long long>() > max) {
        refuse(key + " must be an integer from 1 to " + std::to_string(max));
      }
      (days ? request.days : request.step_minutes) = value.get<int>();
    } else {
      refuse("unknown field '" + key.substr(0, 40) + "' (source_ids, start, days, step_minutes)");
    }
  }
  if (!body.contains("source_ids")) refuse("source_ids is required");
  if (!body.contains("start")) refuse("start is required (YYYY-MM-DD)");
  if (!body.contains("days"))
    refuse("days is required (1 to " + std::to_string(NightsRequest::kMaxDays) + ")");
  return checked(std::move(request));
}

}  // namespace opsdb
