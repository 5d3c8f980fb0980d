#include "opsdb/events/transaction_event.hpp"

#include <nlohmann/json.hpp>
#include <optional>

namespace opsdb {
namespace {

void add_record(nlohmann::json& ids, std::size_t& count, const nlohmann::json& row) {
  ++count;
  auto id = row.find("id");
  if (ids.size() < kEventRecordIds && id != row.end() && id->is_string()) ids.push_back(*id);
}

std::optional<std::int64_t> obs_unit_of(const nlohmann::json& row) {
  auto it = row.find("obs_unit_id");
  if (it == row.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace

std::string event_subject(const Transaction& tx) {
  nlohmann::ordered_json subject = {{"origin", tx.origin},
                                    {"table", tx.steps.empty() ? "" : tx.steps.front().table}};
  nlohmann::json ids = nlohmann::json::array();
  std::size_t count = 0;
  std::optional<std::int64_t> obs_unit;
  for (const auto& step : tx.steps) {
    switch (step.op) {
      case Step::Op::insert:
        add_record(ids, count, step.row);
        if (!obs_unit) obs_unit = obs_unit_of(step.row);
        break;
      case Step::Op::insert_many:
        for (const auto& row : step.rows) add_record(ids, count, row);
        break;
      case Step::Op::update:
        add_record(ids, count, nlohmann::json{{"id", step.id}});
        if (!obs_unit) obs_unit = obs_unit_of(step.set);
        break;
    }
  }
  subject["record_ids"] = std::move(ids);
  subject["record_count"] = count;
  if (obs_unit) subject["obs_unit_id"] = *obs_unit;
  std::string text = subject.dump();
  return text.substr(1, text.size() - 2);
}

std::string transaction_event(std::string_view kind, std::string_view tx_id,
                              std::string_view subject, std::string_view at,
                              std::string_view extra) {
  std::string event = R"({"event":)" + nlohmann::json(kind).dump() + R"(,"transaction_id":)" +
                      nlohmann::json(tx_id).dump();
  if (!subject.empty()) event.append(",").append(subject);
  event.append(R"(,"at":)").append(nlohmann::json(at).dump()).append(extra).append("}");
  return event;
}

}  // namespace opsdb
