#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "opsdb/core/clock.hpp"
#include "opsdb/core/message_feed.hpp"
#include "opsdb/core/result.hpp"
#include "opsdb/processor/scheduler.hpp"

namespace opsdb {

/// Pushes a document (the transfer overview of `WS /api/transfer/ws/overview`) to its
/// subscribers whenever it changes. It is computed again at most once per `min_interval`: soon
/// after a nudge (an event of the site happened), else every `max_interval`, and only while
/// someone subscribes. A subscriber gets the latest document at once. Thread-safe.
class DocumentBroadcast {
 public:
  struct Document {
    std::string message;      ///< what subscribers receive
    std::string fingerprint;  ///< what must differ for it to count as changed
  };
  using Compute = std::function<void(Callback<Document>)>;

  struct Options {
    std::chrono::milliseconds min_interval{1'000};
    std::chrono::milliseconds max_interval{5'000};
  };

  DocumentBroadcast(Compute compute, Scheduler& scheduler, const Clock& clock, Options options);

  /// Starts the ticks (on the scheduler's loop); stop() ends them.
  void start();
  void stop();

  /// Subscribes `feed` until it ends; it gets the latest document now, or as soon as there is
  /// one.
  void subscribe(std::shared_ptr<MessageFeed> feed);
  /// The document may have changed: compute it again at the next tick.
  void nudge() { dirty_ = true; }

 private:
  void tick();
  // Computes the document if someone watches and it is due.
  void look();
  void computed(Result<Document> document);

  Compute compute_;
  Scheduler& scheduler_;
  const Clock& clock_;
  const Options options_;
  std::atomic<bool> running_{false};
  std::atomic<bool> dirty_{true};
  Clock::time_point last_compute_{};
  bool computing_ = false;  // only touched on the scheduler's loop
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<MessageFeed>> subscribers_;
  std::vector<std::weak_ptr<MessageFeed>> waiting_;  // subscribed before any document
  MessageFeed::Message latest_;
  std::string fingerprint_;
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);  // expires with this
};

}  // namespace opsdb
