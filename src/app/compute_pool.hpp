#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "opsdb/astro/visibility_service.hpp"

namespace boost::asio {
class io_context;
}

namespace opsdb {

/// Threads of their own for CPU work that must not run on the HTTP io_context (visibility):
/// a job's `work` runs on one of them, its `after` is posted back to the io_context. At most
/// `queue_limit` jobs wait; beyond that a job is refused at once, so a burst of requests turns
/// into quick 503s instead of an ever longer queue.
class ComputePool {
 public:
  ComputePool(boost::asio::io_context& io, int threads, std::size_t queue_limit);
  ~ComputePool();
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  /// The pool as the domain sees it. Valid while the pool lives.
  Offload offload();

  /// Drops the jobs still waiting and joins the threads after the jobs running now; their
  /// `after` is posted but runs only if the io_context runs again.
  void stop();

 private:
  struct Job {
    std::function<void()> work;
    std::function<void()> after;
  };

  bool submit(std::function<void()> work, std::function<void()> after);
  void run();

  boost::asio::io_context& io_;
  const std::size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace opsdb
