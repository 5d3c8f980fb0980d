#include "opsdb/tx/reference_check.hpp"

#include <spdlog/spdlog.h>

#include "opsdb/schema/schema_registry.hpp"

namespace opsdb {
namespace {

// Reference tables written only by planning, never by transactions: the targets of integer
// foreign keys of the registry. Their names are constants of the registry, not input.
std::set<std::string> reference_tables() {
  std::set<std::string> tables;
  for (const auto& table : SchemaRegistry::instance().tables()) {
    for (const auto& column : table.columns) {
      if (column.references && column.type == ColumnType::integer) {
        tables.insert(*column.references);
      }
    }
  }
  return tables;
}

// The integer foreign keys of `row`: (referenced table, column, id).
void collect(const Table& table, const nlohmann::json& row,
             std::vector<std::tuple<std::string, std::string, long long>>& out) {
  for (const auto& column : table.columns) {
    if (!column.references || column.type != ColumnType::integer) continue;
    auto it = row.find(column.name);
    if (it == row.end() || !it->is_number_integer()) continue;
    out.emplace_back(*column.references, column.name, it->get<long long>());
  }
}

}  // namespace

void ReferenceCheck::refresh() {
  ids_.all(reference_tables(), [this](Result<ReferenceIds::IdsByTable> r) {
    if (!r.ok()) {
      spdlog::debug("reference ids not refreshed: {}", r.error().message);
      return;
    }
    std::lock_guard lock(mutex_);
    known_ = std::move(*r);
    loaded_ = true;
  });
}

void ReferenceCheck::check(const Transaction& tx,
                           std::function<void(std::optional<ApiError>)> done) {
  std::vector<std::tuple<std::string, std::string, long long>> refs;
  const auto& registry = SchemaRegistry::instance();
  for (const auto& step : tx.steps) {
    const Table& table = *registry.table(step.table);
    if (step.op == Step::Op::insert) collect(table, step.row, refs);
    if (step.op == Step::Op::insert_many) {
      for (const auto& row : step.rows) collect(table, row, refs);
    }
  }
  std::vector<Reference> unknown;
  {
    std::lock_guard lock(mutex_);
    if (!loaded_) return done(std::nullopt);  // nothing known yet: let the database decide
    for (const auto& [table, column, id] : refs) {
      if (!known_[table].count(id)) unknown.push_back({table, column, id});
    }
  }
  if (unknown.empty()) return done(std::nullopt);
  verify(std::move(unknown), std::move(done));
}

// Looks the unknown ids up one at a time (rare: new reference data, or a client's mistake).
void ReferenceCheck::verify(std::vector<Reference> unknown,
                            std::function<void(std::optional<ApiError>)> done) {
  if (unknown.empty()) return done(std::nullopt);
  auto ref = unknown.back();
  unknown.pop_back();
  ids_.exists(
      ref.table, ref.id, [this, ref, unknown = std::move(unknown), done](Result<bool> r) mutable {
        if (!r.ok()) return done(std::nullopt);  // cannot tell: accept
        if (!*r) {
          return done(ApiError(ErrorKind::unprocessable,
                               ref.column + " " + std::to_string(ref.id) + " does not exist",
                               {{"field", ref.column}, {"table", ref.table}}));
        }
        {
          std::lock_guard lock(mutex_);
          known_[ref.table].insert(ref.id);
        }
        verify(std::move(unknown), std::move(done));
      });
}

}  // namespace opsdb
