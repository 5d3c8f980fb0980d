// The parameters of the visibility routes as clients send them: the query strings of
// GET /visibility/{source_id} and GET /visibility/heatmap (the input read as "k=v&..."), and the
// body of POST /visibility/precalculate (the input read as JSON). Each is refused with a 400 or
// parsed within the bounds that keep the computing threads' work small.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "opsdb/astro/visibility_request.hpp"
#include "opsdb/core/error.hpp"
#include "require.hpp"

namespace {

using namespace opsdb;

void check_date(std::chrono::year_month_day date) {
  const auto text = format_date(date);
  fuzz::require(parse_date(text) == date, "a parsed date does not round-trip", text);
}

void check_nights(const NightsRequest& r) {
  fuzz::require(!r.source_ids.empty() && r.source_ids.size() <= NightsRequest::kMaxSources,
                "source count out of bounds");
  const std::set<long long> distinct(r.source_ids.begin(), r.source_ids.end());
  fuzz::require(distinct.size() == r.source_ids.size() && *distinct.begin() >= 1,
                "source ids not distinct and positive");
  fuzz::require(r.days >= 1 && r.days <= NightsRequest::kMaxDays, "days out of bounds");
  fuzz::require(r.step_minutes >= 1 && r.step_minutes <= 120, "step out of bounds");
  fuzz::require(r.samples() <= NightsRequest::kMaxSamples, "more samples than the bound");
  check_date(r.start);
  const std::chrono::year_month_day last{std::chrono::sys_days{r.start} +
                                         std::chrono::days{r.days - 1}};
  fuzz::require(parse_date(format_date(last)).has_value(), "the last night is out of range");
}

template <typename Parse, typename Check>
void refused_or_checked(Parse parse, Check check) {
  try {
    check(parse());
  } catch (const ApiError& e) {
    fuzz::require(e.kind() == ErrorKind::bad_request, "refused other than as 400", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto query = fuzz::split_query(text);
  refused_or_checked([&] { return parse_night_query(query); },
                     [](const NightQuery& q) {
                       fuzz::require(q.step_minutes >= 1 && q.step_minutes <= 120,
                                     "step out of bounds");
                       if (q.date) check_date(*q.date);
                     });
  refused_or_checked([&] { return parse_heatmap_query(query); }, check_nights);
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (!body.is_discarded()) {
    refused_or_checked([&] { return parse_precalculate_body(body); }, check_nights);
  }
  return 0;
}
