// A catalog as the server shares it between its one writer and its query workers.
//
// Ownership and the rules that make it safe:
// - One writer: Redis's main thread. Every change to the catalog (items, blend, index
//   settings, models) and to its derived structures (popular order, popular term lists) is
//   made under the exclusive lock, by the main thread only.
// - The exclusive side belongs to the main thread, not to whichever thread took it: a
//   worker may take it on the main thread's behalf (a handed-over write,
//   module/glue/serving/write_dispatch.hpp), and the main thread adopts and releases it;
//   the main thread's own writes meanwhile re-enter it (reco/serving/rw_lock.hpp).
// - Readers: query workers, under the shared lock, for the whole of one query, and workers
//   planning a write's graph insert (Catalog::plan_upsert: the graph only). They read
//   only: every structure a query needs is built by the writer (see
//   Catalog::refresh_derived); per-query scratch (visited tags, heaps, accumulators) is per
//   thread; the only counters a query bumps are atomics.
// - The main thread's own reads (parsing, INFO, RDB save, inline queries) take no lock: the
//   writer cannot race itself, and concurrent readers only read.
// - A forked child (BGSAVE, AOF rewrite) inherits only the main thread and takes no lock,
//   so a read lock held by a worker at fork time is never waited on. Its copy is consistent
//   because no write is in progress while the main thread forks.
// - Derived structures: every write moves its item within the popular order and its term
//   lists in place, at a bounded cost (reco/popular_order.hpp), so they stay current; only
//   a failed move (an allocation) leaves them stale, and then a write made while queries
//   are queued or running re-sorts them before it releases the lock (Write's destructor),
//   so a query never finds them stale; with no query in flight the re-sort waits for the
//   next query's dispatch.
// - Lifetime: the registry and each running query hold a shared_ptr, so a dropped or
//   replaced catalog (CATALOG.DROP, a full sync) lives until its last query ends.
#pragma once

#include "reco/memory.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "reco/catalog.hpp"
#include "reco/serving/rw_lock.hpp"

namespace reco {

class SharedCatalog {
 public:
  RECO_HOOK_ALLOCATED
 public:
  explicit SharedCatalog(std::unique_ptr<Catalog> catalog) : catalog_(std::move(catalog)) {}

  // Main thread only: reads without a lock (see above).
  const Catalog& unlocked() const noexcept { return *catalog_; }

  // A query's view: any thread, shared lock held while it lives.
  class Read {
   public:
    explicit Read(const SharedCatalog& s) : lock_(s.lock_), catalog_(*s.catalog_) {}
    const Catalog& operator*() const noexcept { return catalog_; }
    const Catalog* operator->() const noexcept { return &catalog_; }

   private:
    std::shared_lock<RwLock> lock_;
    const Catalog& catalog_;
  };
  // A write: main thread only, exclusive lock held while it lives.
  class Write {
   public:
    explicit Write(SharedCatalog& s) : owner_(s), lock_(s.lock_), catalog_(*s.catalog_) {}
    // Takes over an exclusive hold acquired for the main thread (acquire_for_main()).
    Write(SharedCatalog& s, std::adopt_lock_t)
        : owner_(s), lock_(s.lock_, std::adopt_lock), catalog_(*s.catalog_) {}
    ~Write() {
      if (owner_.queries_.load(std::memory_order_acquire) == 0 || catalog_.derived_current()) return;
      // A failure leaves them stale; queries then hand themselves back to the main thread.
      try {
        catalog_.refresh_derived();
      } catch (...) {
      }
    }
    Write(const Write&) = delete;
    Write& operator=(const Write&) = delete;
    Catalog& operator*() const noexcept { return catalog_; }
    Catalog* operator->() const noexcept { return &catalog_; }

   private:
    SharedCatalog& owner_;
    std::unique_lock<RwLock> lock_;
    Catalog& catalog_;
  };
  Read read() const { return Read(*this); }
  Write write() { return Write(*this); }
  // A write handed over: any thread waits for the running queries to leave and takes the
  // exclusive side for the main thread, which then adopts it (adopt_write()) and releases
  // it when its write is done; meanwhile the main thread itself never waits for queries.
  void acquire_for_main() { lock_.lock(); }
  Write adopt_write() { return Write(*this, std::adopt_lock); }
  bool queries_in_flight() const noexcept { return queries_.load(std::memory_order_acquire) > 0; }
  // Queries and write plans (Catalog::plan_upsert) queued or running: what a write would wait for.
  bool readers_in_flight() const noexcept {
    return queries_in_flight() || planners_.load(std::memory_order_acquire) > 0;
  }

  // Queries queued or running on this catalog: counted from dispatch (main thread) to the
  // end of the query (any thread).
  void query_queued() noexcept { queries_.fetch_add(1, std::memory_order_acq_rel); }
  void query_done() noexcept { queries_.fetch_sub(1, std::memory_order_acq_rel); }
  // Write plans, counted apart: they read the graph only, never the derived structures, so
  // writes made meanwhile need not keep those sorted for them.
  void plan_started() noexcept { planners_.fetch_add(1, std::memory_order_acq_rel); }
  void plan_done() noexcept { planners_.fetch_sub(1, std::memory_order_acq_rel); }

  // Main thread: builds the derived structures queries read, if a write left them stale
  // (under the exclusive lock only when there is something to build).
  void refresh_for_queries() {
    if (catalog_->derived_current()) return;
    Write w(*this);
    w->refresh_derived();
  }

 private:
  mutable RwLock lock_;
  std::atomic<int> queries_{0};
  std::atomic<int> planners_{0};
  std::unique_ptr<Catalog> catalog_;
};

}  // namespace reco
