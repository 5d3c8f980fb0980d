#include "opsdb/auth/api_token.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "opsdb/core/digest.hpp"

namespace opsdb::auth {
namespace {

constexpr std::size_t kRandomBytes = 32;
constexpr std::size_t kHexDigits = 2 * kRandomBytes;
constexpr std::size_t kPrefixDigits = 12;

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return hex;
}

}  // namespace

std::string generate_api_token() {
  std::array<unsigned char, kRandomBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("the cryptographic random generator failed; no token was made");
  }
  return std::string(kApiTokenMarker) + to_hex(bytes.data(), bytes.size());
}

bool is_api_token(std::string_view text) {
  if (text.size() != kApiTokenMarker.size() + kHexDigits) return false;
  if (text.substr(0, kApiTokenMarker.size()) != kApiTokenMarker) return false;
  return is_lower_hex(text.substr(kApiTokenMarker.size()));
}

std::string token_hash(std::string_view token) { return sha256_hex(token); }

std::string token_prefix(std::string_view token) {
  return std::string(token.substr(kApiTokenMarker.size(), kPrefixDigits));
}

bool is_token_prefix(std::string_view text) {
  return text.size() == kPrefixDigits && is_lower_hex(text);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace opsdb::auth
