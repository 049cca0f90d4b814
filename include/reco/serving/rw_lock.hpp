// A reader-writer lock that prefers its writer: the lock every catalog is served under.
//
// Queries (readers) run on worker threads. Writes are made by Redis's main thread, the
// only writer, and the exclusive side belongs to it as a whole rather than to a thread:
// - a waiting writer stops new readers, so a write waits for at most the queries already
//   running (each bounded by the caps on K, budgets and EF), never for a stream of them;
// - the exclusive side may be acquired on the main thread's behalf by another thread and
//   released by the main thread (a write handed over: a worker waits for the readers to
//   leave so the main thread does not have to, see serving/write_dispatch.hpp);
// - it is re-entrant: while it is held for the main thread, another acquisition for the
//   main thread (an inline write while a handed-over one is pending) succeeds at once.
//   That is sound only because every exclusive holder acts for one thread, which makes
//   its writes one at a time.
// Readers must not nest (a reader waiting behind a writer that waits for it).
#pragma once

#include <condition_variable>
#include <mutex>

namespace reco {

class RwLock {
 public:
  void lock_shared() {
    std::unique_lock<std::mutex> g(mu_);
    readers_cv_.wait(g, [&] { return holds_ == 0 && waiting_ == 0; });
    ++readers_;
  }
  void unlock_shared() {
    std::lock_guard<std::mutex> g(mu_);
    if (--readers_ == 0 && waiting_ > 0) writer_cv_.notify_all();
  }
  // For the main thread, from any thread.
  void lock() {
    std::unique_lock<std::mutex> g(mu_);
    if (holds_ == 0) {
      ++waiting_;
      writer_cv_.wait(g, [&] { return readers_ == 0 || holds_ > 0; });
      --waiting_;
    }
    ++holds_;
  }
  void unlock() {
    std::lock_guard<std::mutex> g(mu_);
    if (--holds_ == 0) readers_cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable readers_cv_, writer_cv_;
  int readers_ = 0;  // running queries
  int holds_ = 0;    // exclusive acquisitions for the main thread
  int waiting_ = 0;  // acquisitions waiting for readers to leave
};

}  // namespace reco
