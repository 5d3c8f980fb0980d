#include "compute_pool.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace opsdb {

ComputePool::ComputePool(boost::asio::io_context& io, int threads, std::size_t queue_limit)
    : io_(io), queue_limit_(queue_limit) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

ComputePool::~ComputePool() {
  stop();
}

Offload ComputePool::offload() {
  return [this](std::function<void()> work, std::function<void()> after) {
    return submit(std::move(work), std::move(after));
  };
}

bool ComputePool::submit(std::function<void()> work, std::function<void()> after) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(Job{std::move(work), std::move(after)});
  }
  wake_.notify_one();
  return true;
}

void ComputePool::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    // The work catches what it expects itself; anything else must not end the thread.
    try {
      job.work();
    } catch (const std::exception& e) {
      spdlog::error("a computation failed unexpectedly: {}", e.what());
    }
    boost::asio::post(io_, std::move(job.after));
  }
}

void ComputePool::stop() {
  std::deque<Job> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace opsdb
