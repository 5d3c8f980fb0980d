#include "opsdb/status/redis_memory.hpp"

#include <charconv>
#include <cmath>

namespace opsdb {
namespace {

// The value of `name:` on a line of its own, as a whole number.
std::optional<std::uint64_t> field(std::string_view info, std::string_view name) {
  std::size_t at = 0;
  while (at < info.size()) {
    auto end = info.find('\n', at);
    if (end == std::string_view::npos) end = info.size();
    auto line = info.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
        line[name.size()] != ':') {
      continue;
    }
    const auto text = line.substr(name.size() + 1);
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> RedisMemory::share_of_limit() const {
  if (max_bytes == 0) return std::nullopt;
  return static_cast<double>(used_bytes) / static_cast<double>(max_bytes);
}

std::string describe(const RedisMemory& memory) {
  auto mb = [](std::uint64_t bytes) {
    return std::to_string(std::llround(static_cast<double>(bytes) / (1024.0 * 1024.0))) + " MB";
  };
  const auto share = memory.share_of_limit();
  if (!share) return mb(memory.used_bytes) + " (no maxmemory)";
  auto percent = std::llround(*share * 100.0);
  // Only a Redis at its limit reads as full.
  if (percent >= 100 && memory.used_bytes < memory.max_bytes) percent = 99;
  return mb(memory.used_bytes) + " of maxmemory " + mb(memory.max_bytes) + " (" +
         std::to_string(percent) + " %)";
}

std::optional<RedisMemory> redis_memory_from_info(std::string_view info) {
  const auto used = field(info, "used_memory");
  if (!used) return std::nullopt;
  return RedisMemory{*used, field(info, "maxmemory").value_or(0)};
}

}  // namespace opsdb
