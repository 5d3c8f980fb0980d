#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "opsdb/core/result.hpp"
#include "opsdb/tx/transaction_builder.hpp"

namespace opsdb {

/// Retries made safe with an `Idempotency-Key` request header (the IETF httpapi draft's
/// semantics). A write sent with a key is built as usual, then every id the builder generated
/// — the transaction's and each inserted row's — is replaced by one derived from (site, key):
/// a retry rebuilds the same transaction with the same ids, so it can be recognised (and, past
/// every other check, the ledger applies a transaction id once). The transaction also records
/// the request's hash in `idempotent_request`, so that a key reused for a different request is
/// told apart.

/// The longest key accepted.
inline constexpr std::size_t kMaxIdempotencyKey = 255;

/// Checks a key: 1 to kMaxIdempotencyKey visible ASCII characters. Throws ApiError(bad_request).
void check_idempotency_key(std::string_view key);

/// What identifies a request for its key: the SHA-256 of method, path and body.
std::string request_hash(std::string_view method, std::string_view path, std::string_view body);

/// Makes `write` the one transaction of `key` at `site` (see above) and sets
/// `write.request_hash`; the response names the derived ids.
void make_idempotent(BuiltWrite& write, std::string_view site, std::string_view key,
                     const std::string& hash);

/// The request hashes the main database keeps with keyed writes (`idempotent_request`).
class RequestLedger {
 public:
  virtual ~RequestLedger() = default;
  /// The hash recorded with the transaction `transaction_id`, none when it has none.
  virtual void recorded_hash(const std::string& transaction_id,
                             Callback<std::optional<std::string>> done) = 0;
};

}  // namespace opsdb
