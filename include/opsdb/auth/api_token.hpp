#pragma once

#include <string>
#include <string_view>

namespace opsdb::auth {

/// Every API token starts with this, so that a leaked one is recognisable (and greppable).
inline constexpr std::string_view kApiTokenMarker = "ops_api_token_";

/// A new API token: the marker and 64 lower-case hex digits from 32 bytes of OpenSSL's
/// cryptographic generator. Throws when the generator fails, rather than issue a weak token.
std::string generate_api_token();

/// True when `text` has the form of an API token (marker + 64 lower-case hex digits).
bool is_api_token(std::string_view text);

/// The sha256 of a token in lower-case hex: the only form in which a token is stored.
std::string token_hash(std::string_view token);

/// The token's display prefix: the first 12 hex digits after the marker. Not secret: it finds
/// the token's row, appears in listings and logs, and names the token to revoke.
std::string token_prefix(std::string_view token);

/// True when `text` could be a display prefix (12 lower-case hex digits).
bool is_token_prefix(std::string_view text);

/// Compares two equally long strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace opsdb::auth
