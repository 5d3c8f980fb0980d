#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace opsdb {

/// One page of the observation list: at most `limit` records, newest first, and the cursor of
/// the next page when there is one.
struct ObservationPage {
  std::vector<nlohmann::json> items;
  std::optional<std::string> next_cursor;
};

/// Builds the page from `limit + 1` fetched rows (normalised here), so whether a next page
/// exists is known without counting.
ObservationPage make_observation_page(std::vector<nlohmann::json> rows, int limit);

}  // namespace opsdb
