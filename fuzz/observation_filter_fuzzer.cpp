// The query parameters of GET /executed_obs_units, GET /sources, GET
// /api/transfer/raw-packages and WS /ws/events as the HTTP layer hands them over (decoded, first
// occurrence wins): refused with ApiError or parsed into a filter within its bounds. Every parser
// gets every input.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "opsdb/core/error.hpp"
#include "opsdb/events/event_filter.hpp"
#include "opsdb/query/observation_filter.hpp"
#include "opsdb/query/query_parameters.hpp"
#include "opsdb/query/source_catalog.hpp"
#include "opsdb/query/transfer_catalog.hpp"
#include "require.hpp"

namespace {

void check_source_filter(const std::map<std::string, std::string>& query) {
  using namespace opsdb;
  SourceFilter filter;
  try {
    filter = parse_source_filter(query);
  } catch (const ApiError& e) {
    fuzz::require(e.kind() == ErrorKind::bad_request,
                  "a source filter is refused other than as 400", e.what());
    return;
  }
  fuzz::require(filter.limit >= 1 && filter.limit <= SourceFilter::kMaxLimit,
                "limit out of bounds");
  if (filter.cone) {
    const auto& c = *filter.cone;
    fuzz::require(c.center.ra_deg >= 0 && c.center.ra_deg < 360 && c.center.dec_deg >= -90 &&
                      c.center.dec_deg <= 90 && c.radius_deg > 0 && c.radius_deg <= 180,
                  "cone out of bounds");
    const auto window = cone_window(c.center, c.radius_deg);
    fuzz::require(!window.ra_ranges.empty() && window.dec_min <= window.dec_max,
                  "an empty cone window");
  }
  if (filter.after) {
    fuzz::require(
        make_source_cursor(filter.after->first, filter.after->second) == query.at("cursor"),
        "source cursor does not round-trip", query.at("cursor"));
  }
}

void check_package_filter(const std::map<std::string, std::string>& query) {
  using namespace opsdb;
  PackageFilter filter;
  try {
    filter = parse_package_filter(query);
  } catch (const ApiError& e) {
    fuzz::require(e.kind() == ErrorKind::bad_request,
                  "a package filter is refused other than as 400", e.what());
    return;
  }
  fuzz::require(filter.limit >= 1 && filter.limit <= PackageFilter::kMaxLimit,
                "package limit out of bounds");
  if (filter.after) {
    const auto cursor = make_package_cursor(*filter.after);
    fuzz::require(parse_list_cursor(cursor) == *filter.after, "package cursor does not round-trip",
                  cursor);
  }
}

void check_event_filter(const std::map<std::string, std::string>& query) {
  using namespace opsdb;
  if (auto since = query.find("since"); since != query.end()) {
    if (auto id = EventId::parse(since->second)) {
      fuzz::require(EventId::parse(id->to_string()) == id, "an event id does not round-trip",
                    since->second);
    }
  }
  try {
    const auto filter = EventFilter::from_query(query);
    fuzz::require(filter.record_id.empty() || filter.record_id.size() == 36,
                  "a record id that is not a UUID", filter.record_id);
  } catch (const ApiError& e) {
    fuzz::require(e.kind() == ErrorKind::bad_request,
                  "an event filter is refused other than as 400", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opsdb;
  const auto query = fuzz::split_query(std::string(reinterpret_cast<const char*>(data), size));
  check_source_filter(query);
  check_package_filter(query);
  check_event_filter(query);
  ObservationFilter filter;
  try {
    filter = parse_observation_filter(query);
  } catch (const ApiError& e) {
    fuzz::require(e.kind() == ErrorKind::bad_request, "a filter is refused other than as 400",
                  e.what());
    return 0;
  }
  fuzz::require(filter.limit >= 1 && filter.limit <= ObservationFilter::kMaxLimit,
                "limit out of bounds");
  fuzz::require(!filter.obs_unit_id || *filter.obs_unit_id >= 1, "obs_unit_id below 1");
  if (filter.cursor) {
    const auto [start_time, id] = cursor_position(*filter.cursor);
    fuzz::require(make_cursor(start_time, id) == *filter.cursor, "cursor does not round-trip",
                  *filter.cursor);
  }
  return 0;
}
