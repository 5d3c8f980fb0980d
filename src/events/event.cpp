#include "opsdb/events/event.hpp"

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>

namespace opsdb {
namespace {

std::optional<std::uint64_t> decimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string string_member(const nlohmann::ordered_json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

std::optional<EventId> EventId::parse(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto ms = decimal(text.substr(0, dash));
  auto seq = decimal(text.substr(dash + 1));
  if (!ms || !seq) return std::nullopt;
  return EventId{*ms, *seq};
}

std::string EventId::to_string() const {
  return std::to_string(ms) + "-" + std::to_string(seq);
}

std::optional<Event> Event::parse(EventId id, std::string_view payload) {
  auto doc = nlohmann::ordered_json::parse(payload, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.empty()) return std::nullopt;
  Event event;
  event.id = id;
  event.kind = string_member(doc, "event");
  if (event.kind.empty()) return std::nullopt;
  event.transaction_id = string_member(doc, "transaction_id");
  event.table = string_member(doc, "table");
  if (auto it = doc.find("record_ids"); it != doc.end() && it->is_array()) {
    for (const auto& record : *it) {
      if (record.is_string()) event.record_ids.push_back(record.get<std::string>());
    }
  }
  if (auto it = doc.find("obs_unit_id"); it != doc.end() && it->is_number_integer()) {
    event.obs_unit_id = it->get<std::int64_t>();
  }
  // The id goes in front of the members the payload has; the payload is re-serialised, so what
  // a client receives is well-formed whatever the stream held.
  nlohmann::ordered_json message = {{"id", id.to_string()}};
  for (auto& [name, value] : doc.items()) {
    if (name != "id") message[name] = std::move(value);
  }
  event.message = std::make_shared<const std::string>(message.dump());
  return event;
}

MessageFeed::Message gap_message(std::string_view since, std::string_view reason) {
  return std::make_shared<const std::string>(
      nlohmann::json{{"event", "gap"}, {"since", since}, {"reason", reason}}.dump());
}

}  // namespace opsdb
