// Inline or threaded query execution (see query_dispatch.hpp).
#include "serving/query_dispatch.hpp"

#include <atomic>

namespace reco::glue {

namespace {

// Counted on the main thread only (serve and the reply callback run there); atomics so that
// INFO's reads are well defined whatever thread a future caller uses.
std::atomic<std::uint64_t> g_threaded{0}, g_inline{0}, g_requeued{0};

void run_inline(QueryTask& task) {
  try {
    task.catalog->refresh_for_queries();
    task.execute(task.catalog->unlocked(), task.reply);
  } catch (...) {
    task.reply.fail(current_error_reply());
  }
}

void run_on_worker(QueryTask& task) noexcept {
  try {
    const SharedCatalog::Read catalog = task.catalog->read();
    if (!catalog->derived_current()) {
      task.requeue = true;
    } else {
      task.execute(*catalog, task.reply);
    }
  } catch (...) {
    task.reply.fail(current_error_reply());
  }
  task.catalog->query_done();
}

// Runs inside Redis: nothing may escape.
int on_reply(RedisModuleCtx* ctx, RedisModuleString** /*argv*/, int /*argc*/) noexcept {
  auto* task = static_cast<QueryTask*>(RedisModule_GetBlockedClientPrivateData(ctx));
  if (task->requeue) {
    g_requeued.fetch_add(1, std::memory_order_relaxed);
    task->reply = DeferredReply();
    run_inline(*task);
  }
  try {
    task->reply.send(ctx);
  } catch (...) {
    RedisModule_ReplyWithError(ctx, kOutOfMemoryReply);
  }
  record_call(ctx, task->clock, task->reply.failed());
  return REDISMODULE_OK;
}

void on_free(RedisModuleCtx* /*ctx*/, void* privdata) noexcept { delete static_cast<QueryTask*>(privdata); }

}  // namespace

bool may_block(RedisModuleCtx* ctx) {
  const int flags = RedisModule_GetContextFlags(ctx);
  return !(flags & (REDISMODULE_CTX_FLAGS_MULTI | REDISMODULE_CTX_FLAGS_LUA |
                    REDISMODULE_CTX_FLAGS_DENY_BLOCKING | REDISMODULE_CTX_FLAGS_LOADING |
                    REDISMODULE_CTX_FLAGS_REPLICATED));
}

QueryTask::QueryTask(const Call& call) : storage(call.args.begin(), call.args.end()) {
  args.assign(storage.begin(), storage.end());
}

WorkerPool& query_pool() {
  // Never destroyed: workers would be joined from a static destructor while redis-server
  // exits, and tasks hold catalogs allocated by the module allocator.
  static WorkerPool* pool = new WorkerPool(0);
  return *pool;
}

QueryCounters query_counters() {
  return {g_threaded.load(std::memory_order_relaxed), g_inline.load(std::memory_order_relaxed),
          g_requeued.load(std::memory_order_relaxed)};
}

void serve(RedisModuleCtx* ctx, std::unique_ptr<QueryTask> task) {
  WorkerPool& pool = query_pool();
  if (pool.size() > 0 && may_block(ctx)) {
    task->catalog->refresh_for_queries();
    RedisModuleBlockedClient* bc = RedisModule_BlockClient(ctx, on_reply, nullptr, on_free, 0);
    if (bc) {
      task->catalog->query_queued();
      task->clock = adopt_call();
      QueryTask* raw = task.release();
      const bool queued = pool.submit([bc, raw] {
        run_on_worker(*raw);
        RedisModule_UnblockClient(bc, raw);
      });
      if (queued) {
        g_threaded.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      // Not reachable while only the main thread resizes the pool; kept safe regardless.
      task.reset(raw);
      resume_call(std::move(task->clock));
      task->catalog->query_done();
      RedisModule_AbortBlock(bc);
    }
  }
  g_inline.fetch_add(1, std::memory_order_relaxed);
  run_inline(*task);
  task->reply.send(ctx);
}

}  // namespace reco::glue
