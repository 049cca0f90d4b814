// Query worker threads (see reco/serving/worker_pool.hpp).
#include "reco/serving/worker_pool.hpp"

#include <pthread.h>

#include <string>

namespace reco {

WorkerPool::WorkerPool(std::size_t threads) { resize(threads); }

WorkerPool::~WorkerPool() { resize(0); }

void WorkerPool::resize(std::size_t n) {
  std::vector<std::thread> leaving;
  {
    std::lock_guard<std::mutex> g(mu_);
    target_ = n;
    while (threads_.size() > n) {
      leaving.push_back(std::move(threads_.back()));
      threads_.pop_back();
    }
    while (threads_.size() < n) {
      const std::size_t index = threads_.size();
      threads_.emplace_back([this, index] { run(index); });
    }
  }
  wake_.notify_all();
  for (std::thread& t : leaving) t.join();
}

std::size_t WorkerPool::size() const {
  std::lock_guard<std::mutex> g(mu_);
  return threads_.size();
}

bool WorkerPool::submit(Job job) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (threads_.empty()) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

WorkerPoolStats WorkerPool::stats() const {
  std::lock_guard<std::mutex> g(mu_);
  return {threads_.size(), queue_.size(), busy_, completed_};
}

void WorkerPool::run(std::size_t index) {
  const std::string name = "reco-worker-" + std::to_string(index);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  std::unique_lock<std::mutex> g(mu_);
  for (;;) {
    wake_.wait(g, [&] { return !queue_.empty() || index >= target_; });
    if (queue_.empty()) return;  // index >= target_: this worker leaves
    Job job = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    g.unlock();
    try {
      job();
    } catch (...) {
    }
    job = nullptr;  // its captures are released outside the lock
    g.lock();
    --busy_;
    ++completed_;
  }
}

}  // namespace reco
