#include "opsdb/query/observation_page.hpp"

#include "opsdb/query/observation_filter.hpp"
#include "opsdb/query/record_normalization.hpp"

namespace opsdb {

ObservationPage make_observation_page(std::vector<nlohmann::json> rows, int limit) {
  for (auto& row : rows) normalize_record("executed_obs_unit", row);
  ObservationPage page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.erase(rows.begin() + limit, rows.end());
    const auto& last = rows.back();
    page.next_cursor =
        make_cursor(last.at("start_time").get<std::string>(), last.at("id").get<std::string>());
  }
  page.items = std::move(rows);
  return page;
}

}  // namespace opsdb
