// Query worker threads (see reco/serving/worker_pool.hpp).
#include "reco/serving/worker_pool.hpp"

#include <pthread.h>

#include <string>

namespace reco {

WorkerPool::WorkerPool(std::size_t threads) { resize(threads); }

WorkerPool::~WorkerPool() {
  std::vector<std::shared_ptr<Worker>> all;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& w : active_) w->retire = true;
    all = std::move(active_);
    all.insert(all.end(), retired_.begin(), retired_.end());
    active_.clear();
    retired_.clear();
    idle_.clear();
  }
  for (auto& w : all) w->wake.notify_one();
  for (auto& w : all) w->thread.join();
}

void WorkerPool::resize(std::size_t n) {
  std::vector<std::shared_ptr<Worker>> done, leaving;
  {
    std::lock_guard<std::mutex> g(mu_);
    while (active_.size() > n) {
      active_.back()->retire = true;
      unidle(active_.back().get());
      leaving.push_back(active_.back());
      retired_.push_back(std::move(active_.back()));
      active_.pop_back();
    }
    while (active_.size() < n) {
      auto w = std::make_shared<Worker>();
      const std::uint64_t id = next_id_++;
      w->thread = std::thread([this, w, id] { run(*w, id); });
      active_.push_back(std::move(w));
    }
    // Workers that already left are joined now (at once: they have returned); the others
    // are joined by a later resize or the destructor.
    for (auto it = retired_.begin(); it != retired_.end();) {
      if ((*it)->exited) {
        done.push_back(std::move(*it));
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : leaving) w->wake.notify_one();
  for (auto& w : done) w->thread.join();
}

void WorkerPool::unidle(Worker* w) {
  for (auto it = idle_.begin(); it != idle_.end(); ++it)
    if (*it == w) {
      idle_.erase(it);
      return;
    }
}

std::size_t WorkerPool::size() const {
  std::lock_guard<std::mutex> g(mu_);
  return active_.size();
}

bool WorkerPool::submit(Job job) {
  Worker* w = nullptr;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (active_.empty()) return false;
    queue_.push_back(std::move(job));
    if (!idle_.empty()) {
      w = idle_.back();
      idle_.pop_back();
      w->woken = true;
    }
  }
  // Notified after the unlock, so the woken thread need not wait for the mutex; w stays
  // alive meanwhile: only the destructor frees workers, and it joins them first.
  if (w) w->wake.notify_one();
  return true;
}

WorkerPoolStats WorkerPool::stats() const {
  std::lock_guard<std::mutex> g(mu_);
  return {active_.size(), queue_.size(), busy_, completed_};
}

void WorkerPool::run(Worker& me, std::uint64_t id) {
  const std::string name = "reco-worker-" + std::to_string(id);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  std::unique_lock<std::mutex> g(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (me.retire) {  // retired, and nothing left to run
        me.exited = true;
        return;
      }
      me.woken = false;
      idle_.push_back(&me);
      me.wake.wait(g, [&] { return me.woken || me.retire; });
      unidle(&me);  // retired while waiting
      continue;
    }
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
