#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace opsdb::auth {

/// What a verified token says: who the caller is and until when the token vouches for them.
struct JwtClaims {
  std::string subject;                               // "sub": the username
  std::chrono::system_clock::time_point expires_at;  // "exp"
};

/// Why a token was refused. `reason` is safe to show a client and to log: it never quotes the
/// token or the secret.
struct JwtRejection {
  enum class Kind {
    malformed,
    unsupported_algorithm,
    bad_signature,
    expired,
    not_yet_valid,
    missing_claim
  };
  Kind kind;
  std::string reason;
};

using JwtVerification = std::variant<JwtClaims, JwtRejection>;

/// Verifies a compact-serialised JWS signed with HMAC-SHA256 under `secret`, as of `now`, allowing
/// `leeway` of clock skew between issuer and verifier. Only "alg":"HS256" is accepted (never
/// "none", never an algorithm the token picks), the signature is checked in constant time before
/// the payload is read, and "sub" and "exp" are required. Tokens come from clients: any input
/// gives an answer (a rejection for anything odd), never an exception from parsing or a crash,
/// and tokens over 8 KiB are refused unread. An empty `secret` verifies nothing.
JwtVerification verify_hs256(std::string_view token, std::string_view secret,
                             std::chrono::system_clock::time_point now,
                             std::chrono::seconds leeway = std::chrono::seconds{30});

/// Signs `claims` (a JSON object) as a compact HS256 JWT with header {"alg":"HS256","typ":"JWT"}.
/// For tests and tools: the service itself only verifies. Throws std::invalid_argument when
/// `claims` is not an object or `secret` is empty (such a token could never be verified), and
/// nlohmann::json::type_error when a string in `claims` is not UTF-8.
std::string sign_hs256(const nlohmann::json& claims, std::string_view secret);

/// True when `text` has the shape of a compact JWS (three base64url parts separated by dots); says
/// nothing about validity. Lets a caller tell a token from another kind of credential.
bool looks_like_jwt(std::string_view text);

}  // namespace opsdb::auth
