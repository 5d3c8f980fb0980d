#include "opsdb/auth/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <ratio>
#include <stdexcept>
#include <utility>

namespace opsdb::auth {
namespace {

using Clock = std::chrono::system_clock;
using Kind = JwtRejection::Kind;

// Ample for a username and a few claims; bounds the work a client can make us do per request.
constexpr std::size_t kMaxTokenBytes = 8192;
constexpr std::size_t kMaxSubjectBytes = 256;
constexpr std::size_t kSignatureBytes = 32;  // HMAC-SHA256
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kBase64urlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using Mac = std::array<unsigned char, kSignatureBytes>;

// Times are compared in microseconds since the epoch, a range wide enough for every accepted
// claim (up to the end of year 9999), any leeway up to that span and any `now` clamped to
// +-kNowLimit, so no sum can overflow. The clock itself (nanoseconds with libstdc++) ends in 2262.
constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMaxClaimSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z
constexpr std::int64_t kNowLimit = 1'000'000'000'000'000'000;
static_assert(std::ratio_less_equal_v<Clock::period, std::micro>,
              "the clock converts to microseconds by division only");
constexpr std::int64_t kClockMaxMicros =
    std::chrono::floor<std::chrono::microseconds>(Clock::duration::max()).count();

JwtRejection reject(Kind kind, std::string reason) {
  return {kind, std::move(reason)};
}

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict base64url without padding: a non-empty text, no '=', nothing outside the alphabet, and
// the unused low bits of the last character zero, so each byte string has exactly one encoding.
// Writes the bytes to `out` when it is given.
bool base64url_decode(std::string_view text, std::string* out) {
  if (text.empty() || text.size() % 4 == 1) return false;
  if (out) out->reserve(text.size() / 4 * 3 + 2);
  std::uint32_t pending = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = sextet(c);
    if (value < 0) return false;
    pending = (pending << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out) out->push_back(static_cast<char>((pending >> bits) & 0xFFu));
      pending &= (1u << bits) - 1;
    }
  }
  return pending == 0;
}

std::string base64url_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t pending = 0;
  int bits = 0;
  for (const char c : bytes) {
    pending = (pending << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      text.push_back(kBase64urlAlphabet[(pending >> bits) & 0x3Fu]);
    }
    pending &= (1u << bits) - 1;
  }
  if (bits > 0) text.push_back(kBase64urlAlphabet[(pending << (6 - bits)) & 0x3Fu]);
  return text;
}

struct CompactParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

std::optional<CompactParts> split_compact(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  return CompactParts{token.substr(0, first), token.substr(first + 1, second - first - 1),
                      token.substr(second + 1)};
}

std::optional<Mac> hmac_sha256(std::string_view data, std::string_view key) {
  if (key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return std::nullopt;
  Mac mac{};
  unsigned int length = 0;
  const auto* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  if (result == nullptr || length != mac.size()) return std::nullopt;
  return mac;
}

// The algorithm's name is quoted in the reason only when it looks like one: the header is the
// client's text, and a reason goes to logs.
std::string refuse_algorithm_reason(const std::string& name) {
  const bool quotable = !name.empty() && name.size() <= 16 &&
                        std::all_of(name.begin(), name.end(),
                                    [](char c) { return sextet(c) >= 0 || c == '+' || c == '.'; });
  if (!quotable) return "algorithm is not accepted; only HS256";
  return "algorithm '" + name + "' is not accepted; only HS256";
}

bool is_jwt_type(const std::string& typ) {
  constexpr std::string_view kJwt = "JWT";
  if (typ.size() != kJwt.size()) return false;
  for (std::size_t i = 0; i < typ.size(); ++i) {
    const char upper =
        (typ[i] >= 'a' && typ[i] <= 'z') ? static_cast<char>(typ[i] - 'a' + 'A') : typ[i];
    if (upper != kJwt[i]) return false;
  }
  return true;
}

std::optional<JwtRejection> check_header(const std::string& bytes) {
  const auto header = nlohmann::json::parse(bytes, nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    return reject(Kind::malformed, "token header is not a JSON object");
  }
  const auto alg = header.find("alg");
  if (alg == header.end()) {
    return reject(Kind::unsupported_algorithm, "token header names no algorithm; only HS256");
  }
  if (!alg->is_string()) {
    return reject(Kind::unsupported_algorithm, "token header's 'alg' is not a string");
  }
  const auto& name = alg->get_ref<const std::string&>();
  if (name != "HS256") return reject(Kind::unsupported_algorithm, refuse_algorithm_reason(name));
  // A critical extension changes how the token must be processed; we implement none.
  if (header.contains("crit")) {
    return reject(Kind::unsupported_algorithm, "token header lists critical extensions ('crit')");
  }
  const auto typ = header.find("typ");
  if (typ != header.end() &&
      (!typ->is_string() || !is_jwt_type(typ->get_ref<const std::string&>()))) {
    return reject(Kind::malformed, "token header's 'typ' is not JWT");
  }
  return std::nullopt;
}

std::optional<JwtRejection> check_signature(std::string_view signing_input,
                                            const std::string& signature, std::string_view secret) {
  // HMAC under an empty key is a signature anyone can make: a missing secret verifies nothing.
  if (secret.empty()) return reject(Kind::bad_signature, "no key to check the signature with");
  if (signature.size() != kSignatureBytes) {
    return reject(Kind::bad_signature, "signature is not 32 bytes long (HMAC-SHA256)");
  }
  const auto expected = hmac_sha256(signing_input, secret);
  if (!expected) return reject(Kind::bad_signature, "signature could not be checked");
  // Constant time: how far a guess matches must not show in how long the refusal takes.
  if (CRYPTO_memcmp(expected->data(), signature.data(), expected->size()) != 0) {
    return reject(Kind::bad_signature, "signature does not match");
  }
  return std::nullopt;
}

std::string format_epoch_seconds(std::int64_t seconds) {
  using namespace std::chrono;
  const sys_seconds at{std::chrono::seconds{seconds}};
  const auto day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss time{at - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return text;
}

// A NumericDate claim (RFC 7519: seconds since the epoch, integer or not), in microseconds.
// Leaves `micros` empty when the claim is absent; refuses other types and times before the
// epoch or after year 9999 (including NaN and infinities, which no issuer means).
std::optional<JwtRejection> read_time_claim(const nlohmann::json& payload, const std::string& name,
                                            std::optional<std::int64_t>& micros) {
  const auto claim = payload.find(name);
  if (claim == payload.end()) return std::nullopt;
  const auto out_of_range = [&] {
    return reject(Kind::malformed, "claim '" + name + "' is not a time between 1970 and 9999");
  };
  if (claim->is_number_unsigned()) {
    const auto value = claim->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(kMaxClaimSeconds)) return out_of_range();
    micros = static_cast<std::int64_t>(value) * kMicrosPerSecond;
  } else if (claim->is_number_integer()) {
    const auto value = claim->get<std::int64_t>();
    if (value < 0 || value > kMaxClaimSeconds) return out_of_range();
    micros = value * kMicrosPerSecond;
  } else if (claim->is_number_float()) {
    const auto value = claim->get<double>();
    if (!(value >= 0.0 && value < static_cast<double>(kMaxClaimSeconds + 1))) return out_of_range();
    micros = static_cast<std::int64_t>(std::floor(value * static_cast<double>(kMicrosPerSecond)));
  } else {
    return reject(Kind::malformed, "claim '" + name + "' is not a number of seconds");
  }
  return std::nullopt;
}

Clock::time_point to_clock(std::int64_t micros) {
  if (micros > kClockMaxMicros) return Clock::time_point::max();
  return Clock::time_point{
      std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds{micros})};
}

JwtVerification read_claims(const std::string& bytes, Clock::time_point now,
                            std::chrono::seconds leeway) {
  const auto payload = nlohmann::json::parse(bytes, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return reject(Kind::malformed, "token payload is not a JSON object");
  }
  const auto sub = payload.find("sub");
  if (sub == payload.end()) return reject(Kind::missing_claim, "claim 'sub' is missing");
  if (!sub->is_string() || sub->get_ref<const std::string&>().empty() ||
      sub->get_ref<const std::string&>().size() > kMaxSubjectBytes) {
    return reject(Kind::missing_claim,
                  "claim 'sub' is not a non-empty string of at most 256 bytes");
  }
  std::optional<std::int64_t> exp;
  std::optional<std::int64_t> nbf;
  std::optional<std::int64_t> iat;
  if (auto refused = read_time_claim(payload, "exp", exp)) return std::move(*refused);
  if (!exp) return reject(Kind::missing_claim, "claim 'exp' is missing");
  if (auto refused = read_time_claim(payload, "nbf", nbf)) return std::move(*refused);
  if (auto refused = read_time_claim(payload, "iat", iat)) return std::move(*refused);

  const std::int64_t slack =
      std::clamp<std::int64_t>(leeway.count(), 0, kMaxClaimSeconds) * kMicrosPerSecond;
  const std::int64_t at = std::clamp<std::int64_t>(
      std::chrono::floor<std::chrono::microseconds>(now.time_since_epoch()).count(), -kNowLimit,
      kNowLimit);
  const auto seconds = [](std::int64_t micros) {
    return format_epoch_seconds(micros / kMicrosPerSecond);
  };
  if (at > *exp + slack) return reject(Kind::expired, "token expired at " + seconds(*exp));
  if (nbf && at + slack < *nbf) {
    return reject(Kind::not_yet_valid, "token is not valid before " + seconds(*nbf));
  }
  if (iat && *iat > at + slack) {
    return reject(Kind::not_yet_valid, "token is issued in the future, at " + seconds(*iat));
  }
  return JwtClaims{sub->get<std::string>(), to_clock(*exp)};
}

}  // namespace

JwtVerification verify_hs256(std::string_view token, std::string_view secret,
                             std::chrono::system_clock::time_point now,
                             std::chrono::seconds leeway) {
  if (token.size() > kMaxTokenBytes) {
    return reject(Kind::malformed, "token is longer than 8192 bytes");
  }
  const auto parts = split_compact(token);
  std::string header;
  std::string payload;
  std::string signature;
  // An empty signature is how an unsecured JWT ("alg":"none") is written: the header is read
  // first so that such a token is refused for its algorithm, the refusal a client can act on.
  if (!parts || !base64url_decode(parts->header, &header) ||
      !base64url_decode(parts->payload, &payload) ||
      (!parts->signature.empty() && !base64url_decode(parts->signature, &signature))) {
    return reject(Kind::malformed, "token is not a JWS in compact form");
  }
  if (auto refused = check_header(header)) return std::move(*refused);
  if (parts->signature.empty())
    return reject(Kind::malformed, "token is not a JWS in compact form");
  const auto signing_input = token.substr(0, parts->header.size() + 1 + parts->payload.size());
  if (auto refused = check_signature(signing_input, signature, secret)) {
    return std::move(*refused);
  }
  return read_claims(payload, now, leeway);
}

std::string sign_hs256(const nlohmann::json& claims, std::string_view secret) {
  if (!claims.is_object()) throw std::invalid_argument("sign_hs256: claims must be a JSON object");
  if (secret.empty()) throw std::invalid_argument("sign_hs256: the secret is empty");
  std::string token = base64url_encode(kHeader);
  token += '.';
  token += base64url_encode(claims.dump());
  const auto mac = hmac_sha256(token, secret);
  if (!mac) throw std::invalid_argument("sign_hs256: the secret is too long for HMAC");
  token += '.';
  token +=
      base64url_encode(std::string_view(reinterpret_cast<const char*>(mac->data()), mac->size()));
  return token;
}

bool looks_like_jwt(std::string_view text) {
  const auto parts = split_compact(text);
  return parts && base64url_decode(parts->header, nullptr) &&
         base64url_decode(parts->payload, nullptr) && base64url_decode(parts->signature, nullptr);
}

}  // namespace opsdb::auth
