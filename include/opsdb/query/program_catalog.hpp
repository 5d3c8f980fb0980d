#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opsdb/core/result.hpp"

namespace opsdb {

/// The fields of an observing program a client sets. On an update, a field left unset keeps its
/// value; `short_name` and `description` may be set to null.
struct ProgramFields {
  std::optional<std::string> name{};
  std::optional<std::optional<std::string>> short_name{};
  std::optional<std::optional<std::string>> description{};
};

/// Parses and checks a create (`creating`: name required) or update body; throws
/// ApiError(bad_request) naming the field.
ProgramFields parse_program_fields(const nlohmann::json& body, bool creating);

/// Observing programs: read from the local database, changed on the main database. They are
/// reference data, not observation events: a change is never buffered, and while the main
/// database cannot be reached it is refused (Fault::unavailable).
class ProgramCatalog {
 public:
  using Record = nlohmann::json;
  virtual ~ProgramCatalog() = default;
  /// Programs by id after `after_id`, at most `limit` + 1, each with `sub_program_count` and
  /// `obs_unit_count`.
  virtual void programs(std::optional<int> after_id, int limit,
                        Callback<std::vector<Record>> done) = 0;
  /// A program with its `sub_programs` and `obs_units`.
  virtual void program(int id, Callback<std::optional<Record>> done) = 0;
  /// The created program; Fault::rejected with SQLSTATE 23505 for a name already taken.
  virtual void create(ProgramFields fields, Callback<Record> done) = 0;
  /// The updated program; Fault::not_found when there is none with `id`.
  virtual void update(int id, ProgramFields fields, Callback<Record> done) = 0;
};

}  // namespace opsdb
