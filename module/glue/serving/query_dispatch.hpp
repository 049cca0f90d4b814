// Where a query runs: on a worker thread with its client blocked, or inline.
//
// A query command parses and validates its arguments on the main thread (so its errors are
// the same in both modes) and packs what the worker needs into a QueryTask: its own copy of
// the arguments, a copy of the user's profile (workers must not touch the keyspace, and
// the key may be written, deleted, renamed or flushed while the query runs) and a
// shared_ptr to the catalog. serve() then either
// - runs it inline: pool size 0 (reco.threads 0), or a context that may not block
//   (MULTI/EXEC, Lua scripts and Functions, DENY_BLOCKING, loading); or
// - blocks the client, queues the task on the worker pool, where `execute` runs under the
//   catalog's shared lock and records a DeferredReply, and unblocks the client; Redis
//   then calls the reply callback on the main thread, which writes the reply. A client
//   that disconnected meanwhile gets no reply callback; the task is freed either way.
// Derived catalog structures are refreshed on the main thread before a task is handed
// out (SharedCatalog::refresh_for_queries), and a write made while tasks are queued
// refreshes them before it releases the catalog (SharedCatalog::Write). Only if that
// refresh fails (out of memory) can a worker find them stale; it then does not read them
// and the task goes back to the main thread, which refreshes and runs it inline (counted
// as queries_requeued in INFO).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "command.hpp"
#include "command_stats.hpp"
#include "reco/catalog.hpp"
#include "reco/serving/shared_catalog.hpp"
#include "reco/serving/worker_pool.hpp"
#include "serving/deferred_reply.hpp"

namespace reco::glue {

struct QueryTask {
  // Copies the command's arguments: the task's views point into its own storage.
  explicit QueryTask(const Call& call);
  QueryTask(const QueryTask&) = delete;
  QueryTask& operator=(const QueryTask&) = delete;

  std::vector<std::string> storage;
  std::vector<std::string_view> args;  // args[0] is the command name
  std::shared_ptr<SharedCatalog> catalog;
  // Runs the query against `catalog` (read-locked on a worker; unlocked on the main
  // thread) and records its reply; may throw, which records the error instead.
  std::function<void(const Catalog& catalog, DeferredReply& out)> execute;

  DeferredReply reply;
  bool requeue = false;  // the worker found derived structures stale
  CallClock clock;       // set when the client is blocked: the reply callback records the call
};

// Whether the command may block its client: not inside MULTI/EXEC, a script or Function,
// a DENY_BLOCKING context, loading, or the replication stream (queries and handed-over
// writes both run inline there).
bool may_block(RedisModuleCtx* ctx);

// Takes the task; replies (inline) or blocks the client (threaded).
void serve(RedisModuleCtx* ctx, std::unique_ptr<QueryTask> task);

// The pool, for reco.threads and INFO (main thread).
WorkerPool& query_pool();

struct QueryCounters {
  std::uint64_t threaded = 0, inline_ = 0, requeued = 0;
};
QueryCounters query_counters();

}  // namespace reco::glue
