// The query workers: a fixed set of threads taking jobs from one FIFO queue.
//
// Ownership: the queue, the thread list and the counters are guarded by the pool's mutex;
// jobs bring their own data (a query's copy of its arguments and user, a reference to the
// catalog it reads under that catalog's read lock). One queue, not one per worker: queries
// differ in cost by 100x (an exact scan of a large catalog vs a popular-only cold user), and
// a shared queue gives every query the next free worker. Only the thread that owns the pool
// (Redis's main thread) calls resize() and submit().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace reco {

struct WorkerPoolStats {
  std::size_t threads = 0;
  std::size_t queued = 0;      // submitted, not started
  std::size_t busy = 0;        // running now
  std::uint64_t completed = 0;  // since start
};

class WorkerPool {
 public:
  using Job = std::function<void()>;

  explicit WorkerPool(std::size_t threads = 0);
  ~WorkerPool();  // runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Grows at once; a shrink lets the leaving workers finish the queue first, then joins
  // them (so every submitted job runs, also when shrinking to 0).
  void resize(std::size_t threads);
  std::size_t size() const;
  // False (and the job is not taken) when the pool has no threads. A job must not throw;
  // one that does is caught and dropped, so that a worker never dies.
  bool submit(Job job);
  WorkerPoolStats stats() const;

 private:
  void run(std::size_t index);

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::vector<std::thread> threads_;
  std::size_t target_ = 0;  // workers with index >= target_ leave once the queue is empty
  std::size_t busy_ = 0;
  std::uint64_t completed_ = 0;
};

}  // namespace reco
