#include "opsdb/buffer/journal_replayer.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <memory>

namespace opsdb {

JournalReplayer::JournalReplayer(FileJournal& journal, WriteBuffer& buffer, ReplayOptions options)
    : journal_(journal), buffer_(buffer), options_(options) {}

JournalReplayer::~JournalReplayer() {
  stop();
}

void JournalReplayer::start() {
  stopping_ = false;
  journal_.resume();
  thread_ = std::thread([this] { run(); });
}

void JournalReplayer::stop() {
  stopping_ = true;
  journal_.interrupt();
  if (thread_.joinable()) thread_.join();
}

void JournalReplayer::run() {
  auto delay = options_.retry_min;
  bool failing = false;
  std::size_t replayed = 0;
  while (!stopping_) {
    std::optional<JournalRecord> record;
    try {
      record = journal_.next();
    } catch (const std::exception& e) {
      // The file changed under us (an operator, a full disk): nothing to do but say so.
      spdlog::error("journal replay stopped: {}", e.what());
      return;
    }
    if (!record) {
      if (replayed > 0) spdlog::debug("journal replay: {} writes moved to the buffer", replayed);
      replayed = 0;
      journal_.wait_for_record(std::chrono::milliseconds(500));
      continue;
    }
    if (auto error = replay(*record)) {
      if (!failing) {
        spdlog::warn("journal replay waits for the buffer: {} ({} writes journaled)",
                     error->message, journal_.stats().pending);
      }
      failing = true;
      pause(delay);
      delay = std::min(delay * 2, options_.retry_max);
      continue;
    }
    if (failing) spdlog::info("journal replay: the buffer takes writes again");
    failing = false;
    delay = options_.retry_min;
    journal_.replayed(*record);
    ++replayed;
  }
}

std::optional<Error> JournalReplayer::replay(const JournalRecord& record) {
  // The buffer answers on its own threads; the promise outlives a late answer.
  auto answer = std::make_shared<std::promise<std::optional<Error>>>();
  auto taken = answer->get_future();
  const auto& write = record.write;
  if (write.request_hash) {
    buffer_.enqueue_once(write.tx, *write.request_hash,
                         [answer, tx = write.tx.id,
                          hash = *write.request_hash](Result<std::optional<std::string>> r) {
                           if (!r.ok()) return answer->set_value(r.error());
                           if (*r && **r != hash) {
                             // The key was used for another request while this one waited in
                             // the journal: the buffer keeps the first, as for any retry.
                             spdlog::warn("journal replay: transaction {} not buffered, its "
                                          "Idempotency-Key was taken by another request",
                                          tx);
                           }
                           answer->set_value(std::nullopt);
                         });
  } else {
    buffer_.enqueue_absent(write.tx, [answer](Result<bool> r) {
      answer->set_value(r.ok() ? std::nullopt : std::optional<Error>(r.error()));
    });
  }
  // Checked in slices so that stop() never waits for the buffer's answer, which may need the
  // very thread that is stopping the site.
  const auto limit = std::chrono::steady_clock::now() + options_.answer_limit;
  while (taken.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (stopping_ || std::chrono::steady_clock::now() >= limit) {
      return Error{Fault::outcome_unknown, "no answer from the buffer", ""};
    }
  }
  return taken.get();
}

void JournalReplayer::pause(std::chrono::milliseconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!stopping_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace opsdb
