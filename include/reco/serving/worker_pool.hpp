// The query workers: a fixed set of threads taking jobs from one FIFO queue.
//
// Ownership: the queue, the thread list and the counters are guarded by the pool's mutex;
// jobs bring their own data (a query's copy of its arguments and user, a reference to the
// catalog it reads under that catalog's read lock). One queue, not one per worker: queries
// differ in cost by 100x (an exact scan of a large catalog vs a popular-only cold user), and
// a shared queue gives every query the next free worker. Only the thread that owns the pool
// (Redis's main thread) calls resize() and submit().
//
// A job goes to the worker that went idle last (a stack of idle workers, each waiting on its
// own condition variable), not to whichever the kernel wakes: a stream of one job at a time
// (one loader's graph inserts, one client's queries) then stays on one thread, and the
// other workers stay asleep. (In process, 60,000 x 32 graph inserts planned on a pool:
// 254-320 us a plan with one worker, 277-317 us with two, within this machine's run-to-run
// spread; a 50 us spin before sleeping, also tried, gained nothing through the wire.)
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
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
  ~WorkerPool();  // runs what is queued, then joins every worker
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Grows at once. A shrink never waits: leaving workers finish the queue (so every
  // submitted job runs, also when shrinking to 0) and are joined by a later resize or the
  // destructor. Waiting here could deadlock: a queued job may wait for the caller (a
  // catalog write handed over to the main thread holds the lock queries wait for).
  void resize(std::size_t threads);
  std::size_t size() const;
  // False (and the job is not taken) when the pool has no threads. A job must not throw;
  // one that does is caught and dropped, so that a worker never dies.
  bool submit(Job job);
  WorkerPoolStats stats() const;

 private:
  struct Worker {
    std::thread thread;
    std::condition_variable wake;
    bool woken = false;   // taken off the idle stack by submit() (guarded by mu_)
    bool retire = false;  // leave once the queue is empty (guarded by mu_)
    bool exited = false;  // has left run() (guarded by mu_)
  };
  // Takes w off the idle stack, if it is there (mu_ held).
  void unidle(Worker* w);
  void run(Worker& me, std::uint64_t id);

  mutable std::mutex mu_;
  std::deque<Job> queue_;
  std::vector<Worker*> idle_;  // waiting workers, the most recently idle last
  std::vector<std::shared_ptr<Worker>> active_, retired_;
  std::uint64_t next_id_ = 0;
  std::size_t busy_ = 0;
  std::uint64_t completed_ = 0;
};

}  // namespace reco
