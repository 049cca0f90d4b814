// Catalog writes handed over to a worker for the lock wait (see write_dispatch.hpp).
#include "serving/write_dispatch.hpp"

#include <atomic>

#include "command.hpp"
#include "serving/query_dispatch.hpp"

namespace reco::glue {

namespace {

std::atomic<std::uint64_t> g_handed_over{0};

struct WriteTask {
  std::shared_ptr<SharedCatalog> catalog;
  WriteApply apply;
  bool granted = false;  // set by the worker before it unblocks the client
  bool applied = false;  // set by the main thread
  CallClock clock;       // the call, recorded when its reply is written
};

// Runs inside Redis: nothing may escape.
int on_write_reply(RedisModuleCtx* ctx, RedisModuleString** /*argv*/, int /*argc*/) noexcept {
  auto* task = static_cast<WriteTask*>(RedisModule_GetBlockedClientPrivateData(ctx));
  task->applied = true;
  g_handed_over.fetch_add(1, std::memory_order_relaxed);
  bool failed = false;
  try {
    SharedCatalog::Write w = task->catalog->adopt_write();
    task->apply(*w, ctx);
  } catch (...) {
    reply_error(ctx, current_error_reply());
    failed = true;
  }
  record_call(ctx, task->clock, failed);
  return REDISMODULE_OK;
}

void on_write_free(RedisModuleCtx* /*ctx*/, void* privdata) noexcept {
  auto* task = static_cast<WriteTask*>(privdata);
  // The client went away after the grant: release the hold it was given.
  if (task->granted && !task->applied) {
    SharedCatalog::Write release = task->catalog->adopt_write();
  }
  delete task;
}

}  // namespace

std::uint64_t writes_handed_over() { return g_handed_over.load(std::memory_order_relaxed); }

void serve_write(RedisModuleCtx* ctx, std::shared_ptr<SharedCatalog> catalog, WriteApply apply) {
  WorkerPool& pool = query_pool();
  if (pool.size() > 0 && catalog->queries_in_flight() && may_block(ctx)) {
    RedisModuleBlockedClient* bc = RedisModule_BlockClient(ctx, on_write_reply, nullptr, on_write_free, 0);
    if (bc) {
      auto* task = new WriteTask{catalog, std::move(apply), false, false, {}};
      task->clock = adopt_call();
      const bool queued = pool.submit([bc, task] {
        task->catalog->acquire_for_main();
        task->granted = true;
        RedisModule_UnblockClient(bc, task);
      });
      if (queued) return;
      apply = std::move(task->apply);
      resume_call(std::move(task->clock));
      delete task;
      RedisModule_AbortBlock(bc);
    }
  }
  SharedCatalog::Write w = catalog->write();
  apply(*w, ctx);
}

}  // namespace reco::glue
