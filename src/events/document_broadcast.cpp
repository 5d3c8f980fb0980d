#include "opsdb/events/document_broadcast.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace opsdb {
namespace {

// Pushes `message` to the live feeds of `feeds` and forgets the others.
void push_to(std::vector<std::weak_ptr<MessageFeed>>& feeds, const MessageFeed::Message& message) {
  std::erase_if(feeds, [&](const std::weak_ptr<MessageFeed>& weak) {
    auto feed = weak.lock();
    if (!feed || feed->ended()) return true;
    feed->push(message);
    return false;
  });
}

}  // namespace

DocumentBroadcast::DocumentBroadcast(Compute compute, Scheduler& scheduler, const Clock& clock,
                                     Options options)
    : compute_(std::move(compute)), scheduler_(scheduler), clock_(clock), options_(options) {}

void DocumentBroadcast::start() {
  running_ = true;
  scheduler_.after(std::chrono::milliseconds{0}, [this] { tick(); });
}

void DocumentBroadcast::stop() {
  running_ = false;
}

void DocumentBroadcast::subscribe(std::shared_ptr<MessageFeed> feed) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
  subscribers_.push_back(feed);
  if (latest_) {
    feed->push(latest_);
  } else {
    waiting_.push_back(feed);
    dirty_ = true;
  }
}

void DocumentBroadcast::tick() {
  if (!running_) return;
  look();
  scheduler_.after(options_.min_interval, [this] { tick(); });
}

void DocumentBroadcast::look() {
  bool wanted = false;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [](const auto& weak) {
      auto feed = weak.lock();
      return !feed || feed->ended();
    });
    wanted = !subscribers_.empty();
  }
  const auto now = clock_.now();
  if (!wanted || computing_) return;
  if (!dirty_ && now - last_compute_ < options_.max_interval) return;
  dirty_ = false;
  computing_ = true;
  last_compute_ = now;
  // The document may come from a database thread after a shutdown has destroyed this.
  compute_([this, alive = std::weak_ptr<void>(alive_)](Result<Document> document) {
    if (alive.expired()) return;
    scheduler_.after(
        std::chrono::milliseconds{0},
        [this, document = std::move(document)]() mutable { computed(std::move(document)); });
  });
}

void DocumentBroadcast::computed(Result<Document> document) {
  computing_ = false;
  if (!document.ok()) {
    // The subscribers keep the last document they have; the next tick tries again.
    spdlog::debug("broadcast document not computed: {}", document.error().message);
    dirty_ = true;
    return;
  }
  std::lock_guard lock(mutex_);
  const bool changed = !latest_ || document->fingerprint != fingerprint_;
  if (changed) {
    latest_ = std::make_shared<const std::string>(std::move(document->message));
    fingerprint_ = std::move(document->fingerprint);
    push_to(subscribers_, latest_);
  } else {
    push_to(waiting_, latest_);
  }
  waiting_.clear();
}

}  // namespace opsdb
