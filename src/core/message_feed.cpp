#include "opsdb/core/message_feed.hpp"

#include <utility>

namespace opsdb {

MessageFeed::MessageFeed(Limits limits) : limits_(limits) {}

std::function<void()> MessageFeed::arm_locked(bool urgent) {
  if ((woken_ && !urgent) || ended_ || !wake_ || (queue_.empty() && !close_)) return nullptr;
  woken_ = true;
  return wake_;
}

bool MessageFeed::push(Message message) {
  if (!message) return false;
  std::function<void()> wake;
  bool queued = false;
  {
    std::lock_guard lock(mutex_);
    if (closing_ || ended_) return false;
    if (queue_.size() + 1 > limits_.max_messages || bytes_ + message->size() > limits_.max_bytes) {
      // What is queued is stale already: the client reconnects and resumes from its last id.
      queue_.clear();
      bytes_ = 0;
      closing_ = true;
      close_ = FeedClose{1013, "too slow: more than " + std::to_string(limits_.max_messages) +
                                   " messages or " + std::to_string(limits_.max_bytes) +
                                   " bytes waiting; reconnect and resume"};
    } else {
      bytes_ += message->size();
      queue_.push_back(std::move(message));
      queued = true;
    }
    wake = arm_locked(/*urgent=*/!queued);
  }
  if (wake) wake();
  return queued;
}

void MessageFeed::close(FeedClose close) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    if (closing_ || ended_) return;
    closing_ = true;
    close_ = std::move(close);
    wake = arm_locked(/*urgent=*/true);
  }
  if (wake) wake();
}

MessageFeed::Batch MessageFeed::take() {
  std::lock_guard lock(mutex_);
  Batch batch;
  batch.messages.assign(std::make_move_iterator(queue_.begin()),
                        std::make_move_iterator(queue_.end()));
  queue_.clear();
  bytes_ = 0;
  batch.close = std::exchange(close_, std::nullopt);
  woken_ = false;
  return batch;
}

void MessageFeed::on_ready(std::function<void()> wake) {
  std::function<void()> now;
  {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
    now = arm_locked();
  }
  if (now) now();
}

void MessageFeed::end() {
  std::vector<std::function<void()>> done;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
    closing_ = true;
    queue_.clear();
    bytes_ = 0;
    wake_ = nullptr;
    done.swap(on_end_);
  }
  for (auto& f : done) f();
}

void MessageFeed::on_end(std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (!ended_) {
      on_end_.push_back(std::move(done));
      return;
    }
  }
  done();
}

bool MessageFeed::closing() const {
  std::lock_guard lock(mutex_);
  return closing_;
}

bool MessageFeed::ended() const {
  std::lock_guard lock(mutex_);
  return ended_;
}

}  // namespace opsdb
