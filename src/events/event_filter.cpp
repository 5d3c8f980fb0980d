#include "opsdb/events/event_filter.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <string_view>

#include "opsdb/core/error.hpp"
#include "opsdb/core/uuid.hpp"
#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

constexpr std::array<std::string_view, 6> kKinds{"buffered", "applied",  "replicated",
                                                 "failed",   "replayed", "resolved"};

std::set<std::string> list_of(const std::string& text, const char* parameter,
                              const std::function<bool(const std::string&)>& known) {
  std::set<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    if (!known(item)) {
      throw ApiError(ErrorKind::bad_request, std::string("query parameter ") + parameter +
                                                 ": unknown value '" + item.substr(0, 64) + "'");
    }
    items.insert(std::move(item));
    start = end + 1;
  }
  return items;
}

}  // namespace

EventFilter EventFilter::from_query(const std::map<std::string, std::string>& query) {
  EventFilter filter;
  if (auto it = query.find("event"); it != query.end()) {
    filter.kinds = list_of(it->second, "event", [](const std::string& kind) {
      return std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end();
    });
  }
  if (auto it = query.find("table"); it != query.end()) {
    filter.tables = list_of(it->second, "table", [](const std::string& table) {
      return SchemaRegistry::instance().table(table) != nullptr;
    });
  }
  if (auto it = query.find("record_id"); it != query.end()) {
    if (!is_uuid(it->second)) {
      throw ApiError(ErrorKind::bad_request, "query parameter record_id: not a UUID");
    }
    filter.record_id = normalize_uuid(it->second);
  }
  if (auto it = query.find("obs_unit_id"); it != query.end()) {
    std::int64_t value = 0;
    const auto& text = it->second;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
      throw ApiError(ErrorKind::bad_request, "query parameter obs_unit_id: not an integer");
    }
    filter.obs_unit_id = value;
  }
  return filter;
}

bool EventFilter::matches(const Event& event) const {
  if (!kinds.empty() && !kinds.contains(event.kind)) return false;
  if (!tables.empty() && !tables.contains(event.table)) return false;
  if (!record_id.empty() && std::find(event.record_ids.begin(), event.record_ids.end(),
                                      record_id) == event.record_ids.end()) {
    return false;
  }
  return !obs_unit_id || event.obs_unit_id == obs_unit_id;
}

}  // namespace opsdb
