#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace opsdb {

/// A PostgreSQL WAL position. Its text form "X/Y" is two hex numbers of at most 32 bits each;
/// the position is (X << 32) | Y. Positions compare numerically, never as text ("0/FFFFFFFF"
/// comes before "1/0").
class Lsn {
 public:
  constexpr Lsn() = default;
  constexpr explicit Lsn(std::uint64_t value) : value_(value) {}

  /// Parses "X/Y"; nullopt when malformed (empty halves, non-hex digits, halves over 32 bits).
  static std::optional<Lsn> parse(std::string_view text);

  /// Canonical text form: upper-case hex without leading zeros, as PostgreSQL prints it.
  std::string to_string() const;

  constexpr std::uint64_t value() const { return value_; }

  constexpr auto operator<=>(const Lsn&) const = default;

  /// Bytes of WAL from `b` to `a`; 0 when `a` is not after `b`.
  friend constexpr std::uint64_t operator-(Lsn a, Lsn b) {
    return a.value_ > b.value_ ? a.value_ - b.value_ : 0;
  }

 private:
  std::uint64_t value_ = 0;
};

}  // namespace opsdb
