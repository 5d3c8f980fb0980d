#include "opsdb/api/buffered_writer.hpp"

#include <spdlog/spdlog.h>

#include <memory>

#include "opsdb/api/error_mapping.hpp"

namespace opsdb {
namespace {

constexpr const char* kBuffered = "buffered";
constexpr const char* kJournaled = "journaled";

/// Whether a write the buffer did not take belongs in the journal: it could not be reached or
/// did not answer. A refusal it answered with (out of memory, a script error) is kept as an
/// error for the client, and so is a write it holds without the replicas the site requires.
bool journal_after(const Error& error) {
  return (error.is(Fault::unavailable) || error.is(Fault::outcome_unknown)) &&
         error.code != kBufferOutOfMemory && error.code != kReplicasUnconfirmed;
}

}  // namespace

void BufferedWriter::submit(BuiltWrite write, std::function<void(WriteResult)> done) {
  if (write.request_hash) {
    // A retry of a write still waiting in the journal is answered from there.
    if (auto recorded = journal_.find(write.tx.id)) {
      return done(answer_retry(*recorded == *write.request_hash, kJournaled));
    }
  }
  if (journal_.active()) return journal(std::move(write), std::nullopt, std::move(done));

  // Shared: the buffer reads the transaction while the callback keeps it for the journal.
  auto held = std::make_shared<BuiltWrite>(std::move(write));
  auto fallback = [this, held, done](const Error& error) {
    if (journal_after(error)) return journal(std::move(*held), error, done);
    done(WriteResult{to_api_error(error, Dependency::buffer_write), ""});
  };
  if (held->request_hash) {
    return buffer_.enqueue_once(
        held->tx, *held->request_hash,
        [held, fallback, done](Result<std::optional<std::string>> result) {
          if (!result.ok()) return fallback(result.error());
          if (!*result) return done(WriteResult{std::nullopt, kBuffered});
          done(answer_retry(**result == *held->request_hash, kBuffered));
        });
  }
  buffer_.enqueue(held->tx, [fallback, done](Result<void> result) {
    if (!result.ok()) return fallback(result.error());
    done(WriteResult{std::nullopt, kBuffered});
  });
}

void BufferedWriter::journal(BuiltWrite write, std::optional<Error> buffer_error,
                             std::function<void(WriteResult)> done) {
  JournaledWrite entry{write.tx, write.request_hash};
  journal_.append(std::move(entry), [this, buffer_error = std::move(buffer_error),
                                     done = std::move(done)](Result<void> result) {
    if (result.ok()) return done(WriteResult{std::nullopt, kJournaled});
    if (auto held_back = refusals_.allow()) {
      spdlog::error("write refused: {}{} ({} more since the last such line)",
                    result.error().message,
                    buffer_error ? "; the buffer: " + buffer_error->message : std::string(),
                    *held_back);
    }
    // The buffer may have taken it after all (its answer was lost): say so.
    if (buffer_error && buffer_error->is(Fault::outcome_unknown)) {
      return done(WriteResult{to_api_error(*buffer_error, Dependency::buffer_write), ""});
    }
    done(WriteResult{
        ApiError(ErrorKind::unavailable,
                 "the transaction buffer (Redis) is unavailable and the local journal cannot take "
                 "the write (" + result.error().message +
                     "); the write was not accepted (nothing was written); try again later",
                 {{"reason", result.error().code}}, std::string(kNotAccepted)),
        ""});
  });
}

}  // namespace opsdb
