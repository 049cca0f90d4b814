// A reader-writer lock that prefers its writer: the lock every catalog is served under.
//
// Queries (readers) run on worker threads; writes run on Redis's main thread, one at a time.
// With the default (reader-preferring) pthread lock, workers whose queries overlap back to
// back could keep the main thread waiting indefinitely; here a waiting writer stops new
// readers, so a write waits for at most the queries already running (each bounded by the
// caps on K, budgets and EF), and queries queued behind it wait for one write. glibc's
// writer-preferring mode is non-recursive: a thread must never take a read lock it already
// holds, which the serving code never does (one catalog, one lock, per query).
#pragma once

#include <pthread.h>

#include <system_error>

namespace reco {

class RwLock {
 public:
  RwLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
#if defined(__GLIBC__)
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    const int rc = pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "rwlock");
  }
  ~RwLock() { pthread_rwlock_destroy(&lock_); }
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  void lock_shared() noexcept { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() noexcept { pthread_rwlock_unlock(&lock_); }
  void lock() noexcept { pthread_rwlock_wrlock(&lock_); }
  void unlock() noexcept { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace reco
