#include "opsdb/core/json_text.hpp"

namespace opsdb {
namespace {

struct TooDeep {};

}  // namespace

std::optional<nlohmann::json> parse_json_text(std::string_view text, std::size_t max_depth) {
  const auto within_depth = [max_depth](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (static_cast<std::size_t>(depth) > max_depth) throw TooDeep{};
    return true;
  };
  try {
    return nlohmann::json::parse(text, within_depth);
  } catch (const TooDeep&) {
    return std::nullopt;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace opsdb
