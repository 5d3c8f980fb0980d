#pragma once

// Compact JWS tokens built by hand for tests, independently of the verifier's own encoder, so
// that tests can make tokens the library would never sign (alg none, HS512, tampered parts).
// Header-only.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace opsdb::test {

/// base64url without padding (RFC 4648 §5).
inline std::string b64url(std::string_view bytes) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string text;
  std::uint32_t pending = 0;
  int bits = 0;
  for (const char c : bytes) {
    pending = (pending << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      text.push_back(kAlphabet[(pending >> bits) & 0x3F]);
    }
    pending &= (1u << bits) - 1;
  }
  if (bits > 0) text.push_back(kAlphabet[(pending << (6 - bits)) & 0x3F]);
  return text;
}

/// The HMAC of `data` under `key` with the digest `md`, as raw bytes.
inline std::string mac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

/// A compact JWS of any header and payload, signed with `md` under `key`.
inline std::string forge(std::string_view header, std::string_view payload, std::string_view key,
                         const EVP_MD* md) {
  const std::string signing_input = b64url(header) + "." + b64url(payload);
  return signing_input + "." + b64url(mac(md, key, signing_input));
}

}  // namespace opsdb::test
