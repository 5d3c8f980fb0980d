#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/result.hpp"
#include "opsdb/query/cone_search.hpp"

namespace opsdb {

/// Filter and page of `GET /sources/`. Without a cone the page is ordered by name, with one by
/// distance from its centre (then id); `cursor` continues after the last item of the previous
/// page.
struct SourceFilter {
  std::optional<std::string> name_contains;  // case-insensitive substring
  std::optional<std::string> type;           // fixed_source, solar_system_object, ...
  struct Cone {
    SkyPosition center{};
    double radius_deg = 0;
  };
  std::optional<Cone> cone;
  int limit = 100;
  /// Where the previous page ended: its sort key (name, or distance as exact text) and id.
  std::optional<std::pair<std::string, long long>> after;

  static constexpr int kMaxLimit = 1000;
};

/// Parses the query string of `GET /sources/`; throws ApiError(bad_request) naming the
/// parameter. `ra`, `dec` and `radius` (degrees) come together or not at all.
SourceFilter parse_source_filter(const std::map<std::string, std::string>& query);

/// The opaque cursor of a page's last item: its sort key and id.
std::string make_source_cursor(const std::string& key, long long id);

/// The reference catalogue of sources, read from the local database (it is reference data:
/// never buffered, never written by this API).
class SourceCatalog {
 public:
  using Record = nlohmann::json;
  virtual ~SourceCatalog() = default;
  /// One page of sources matching `filter` (one more than `limit` when there is a next page);
  /// with a cone each carries `distance_deg`.
  virtual void sources(const SourceFilter& filter, Callback<std::vector<Record>> done) = 0;
  /// A source, plus with `details` the obs units that observe it.
  virtual void source(long long id, bool details, Callback<std::optional<Record>> done) = 0;
  /// The source whose name is `name`, compared case-insensitively.
  virtual void resolve(const std::string& name, Callback<std::optional<Record>> done) = 0;
};

}  // namespace opsdb
