#include "opsdb/api/error_mapping.hpp"

#include "opsdb/tx/write_buffer.hpp"

namespace opsdb {
namespace {

ApiError database_error(const Error& error) {
  // The database was never asked: every connection is taken and the queue is full or the call
  // waited too long for one. Retrying a little later is the right reaction.
  if (error.is(Fault::unavailable) && error.code == "busy") {
    return ApiError(ErrorKind::unavailable,
                    "the database is busy (too many requests are waiting for it); try again later",
                    {{"reason", "database_busy"}});
  }
  // What an adapter found itself (no such row, more than one): its message says what.
  if (error.is(Fault::outcome_unknown)) {
    return ApiError(ErrorKind::unavailable,
                    "the connection to the database broke before it confirmed the write: it may "
                    "or may not have been applied; a retry with the same Idempotency-Key is safe",
                    nullptr, std::string(kOutcomeUnknown));
  }
  if (error.is(Fault::not_found)) return ApiError(ErrorKind::not_found, error.message);
  if (error.is(Fault::conflict)) return ApiError(ErrorKind::conflict, error.message);
  if (!error.is(Fault::rejected)) {
    return ApiError(ErrorKind::unavailable, "the database is unreachable; try again later");
  }
  // The server's message names the constraint or the missing row; it carries no SQL text and
  // no credentials, and it is what lets a client fix its request.
  nlohmann::json details = {{"sqlstate", error.code}};
  if (error.code == "P0002") return ApiError(ErrorKind::not_found, error.message, details);
  if (error.code == "23505") return ApiError(ErrorKind::conflict, error.message, details);
  return ApiError(ErrorKind::unprocessable, error.message, details);
}

// The answer to a write the full buffer refused (kBufferOutOfMemory): it refuses before running
// anything, so the write is known not to be buffered.
constexpr std::string_view kBufferFull = "buffer_full";

ApiError buffer_error(const Error& error, bool taking_write) {
  if (error.is(Fault::unavailable) && error.code == kBufferOutOfMemory) {
    return ApiError(ErrorKind::unavailable,
                    "the transaction buffer (Redis) is full: it reached its memory limit "
                    "(maxmemory), so this write was not accepted and nothing of it was written; "
                    "try again later: writes are taken again as the buffer drains to the main "
                    "database",
                    nullptr, std::string(kBufferFull));
  }
  if (error.is(Fault::outcome_unknown) && error.code == kReplicasUnconfirmed) {
    return ApiError(ErrorKind::unavailable,
                    "the write is in the transaction buffer, but not on as many of its replicas "
                    "as this site requires (" +
                        error.message +
                        "): it will be applied unless the buffer's server is lost before a "
                        "replica has it; GET /transactions/{transaction_id} tells whether it is "
                        "still there, and a retry with the same Idempotency-Key is safe",
                    {{"reason", std::string(kReplicasUnconfirmed)}}, std::string(kOutcomeUnknown));
  }
  switch (error.fault) {
    case Fault::not_found:
      return ApiError(ErrorKind::not_found, error.message);
    case Fault::conflict:
      return ApiError(ErrorKind::conflict, error.message);
    case Fault::rejected:
      return ApiError(ErrorKind::unprocessable, error.message);
    case Fault::internal:
      return ApiError(ErrorKind::internal, "internal error");
    case Fault::outcome_unknown:
      if (!taking_write) break;
      return ApiError(ErrorKind::unavailable,
                      "the transaction buffer (Redis) did not confirm the write in time: it may "
                      "or may not have been buffered; GET /transactions/{transaction_id} tells "
                      "within seconds, and a retry with the same Idempotency-Key is safe",
                      nullptr, std::string(kOutcomeUnknown));
    case Fault::unavailable:
      break;
  }
  if (!taking_write) {
    return ApiError(ErrorKind::unavailable,
                    "the transaction buffer (Redis) is unavailable; try again later");
  }
  return ApiError(ErrorKind::unavailable,
                  "the transaction buffer (Redis) is unavailable; the write was not accepted "
                  "(nothing was written); try again later",
                  nullptr, std::string(kNotAccepted));
}

}  // namespace

ApiError to_api_error(const Error& error, Dependency dependency) {
  switch (dependency) {
    case Dependency::database:
      return database_error(error);
    case Dependency::buffer:
      return buffer_error(error, false);
    case Dependency::buffer_write:
      return buffer_error(error, true);
    case Dependency::local_database:
      break;
  }
  // Busy and refused mean the same as for any database; only "unreachable" gets the words
  // that say which database a read at a secondary site could not do without.
  if (error.is(Fault::rejected) || error.code == "busy") return database_error(error);
  return ApiError(ErrorKind::unavailable,
                  "the local database (the replica this site reads from) is unreachable, so the "
                  "answer cannot be complete; try again later");
}

}  // namespace opsdb
