// Catalog writes handed over to a worker for the lock wait, and planned on one (see
// write_dispatch.hpp).
//
// Threads: a task is created on the main thread, filled by one worker (plan, grant) before
// it unblocks the client, then read and freed on the main thread: one owner at a time.
#include "serving/write_dispatch.hpp"

#include <atomic>
#include <optional>

#include "args.hpp"
#include "command.hpp"
#include "memory_limit.hpp"
#include "reco/memory.hpp"
#include "reco/error.hpp"
#include "registry.hpp"
#include "serving/query_dispatch.hpp"

namespace reco::glue {

namespace {

std::atomic<std::uint64_t> g_handed_over{0}, g_planned{0}, g_retargeted{0};

struct WriteTask {
  std::shared_ptr<SharedCatalog> catalog;
  PlannedApply apply;
  WritePlan plan;                           // empty for a plain hand-over
  std::unique_ptr<WritePrep> made;          // the worker's plan, if any
  bool granted = false;  // set by the worker before it unblocks the client
  bool applied = false;  // set by the main thread
  CallClock clock;       // the call, recorded when its reply is written
  // The call's growth limit when it was handed over (memory_limit.hpp): the plan runs under
  // what was left then, the apply under what is left when it runs.
  std::optional<std::size_t> headroom;
};

// Applies a granted task on the main thread, to the catalog now under its name.
void apply_granted(WriteTask& task, RedisModuleCtx* ctx) {
  std::shared_ptr<SharedCatalog> now;
  {
    SharedCatalog::Write w = task.catalog->adopt_write();
    const std::string_view name = task.catalog->unlocked().name();
    if (registry().contains(name)) now = registry().handle(name);
    if (now == task.catalog) {
      task.apply(*w, ctx, task.made.get());
      return;
    }
  }
  // Dropped or replaced while the write waited: as if it had arrived after that.
  g_retargeted.fetch_add(1, std::memory_order_relaxed);
  if (!now) throw Error("no such catalog " + quoted(task.catalog->unlocked().name()));
  SharedCatalog::Write w = now->write();
  task.apply(*w, ctx, nullptr);
}

// Runs inside Redis: nothing may escape.
int on_write_reply(RedisModuleCtx* ctx, RedisModuleString** /*argv*/, int /*argc*/) noexcept {
  auto* task = static_cast<WriteTask*>(RedisModule_GetBlockedClientPrivateData(ctx));
  task->applied = true;
  g_handed_over.fetch_add(1, std::memory_order_relaxed);
  bool failed = false;
  try {
    std::optional<GrowthLimit> limit;
    if (task->headroom) {
      if (auto left = write_headroom(ctx)) limit.emplace(*left);
    }
    apply_granted(*task, ctx);
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

// Blocks the client and queues the task; false (client not blocked, task back in `task`)
// when the pool refused it.
bool hand_over(RedisModuleCtx* ctx, std::unique_ptr<WriteTask>& task) {
  RedisModuleBlockedClient* bc = RedisModule_BlockClient(ctx, on_write_reply, nullptr, on_write_free, 0);
  if (!bc) return false;
  WriteTask* t = task.release();
  t->clock = adopt_call();
  t->headroom = GrowthLimit::remaining();
  if (t->plan) t->catalog->plan_started();
  const bool queued = query_pool().submit([bc, t] {
    if (t->plan) {
      try {
        std::optional<GrowthLimit> limit;
        if (t->headroom) limit.emplace(*t->headroom);
        SharedCatalog::Read r = t->catalog->read();
        t->made = t->plan(*r);
      } catch (...) {
        t->made.reset();  // the main thread links the item itself
      }
      t->catalog->plan_done();
      g_planned.fetch_add(1, std::memory_order_relaxed);
    }
    t->catalog->acquire_for_main();
    t->granted = true;
    RedisModule_UnblockClient(bc, t);
  });
  if (queued) return true;
  if (t->plan) t->catalog->plan_done();
  resume_call(std::move(t->clock));
  task.reset(t);
  RedisModule_AbortBlock(bc);
  return false;
}

}  // namespace

WriteCounters write_counters() {
  return {g_handed_over.load(std::memory_order_relaxed), g_planned.load(std::memory_order_relaxed),
          g_retargeted.load(std::memory_order_relaxed)};
}

void serve_write(RedisModuleCtx* ctx, std::shared_ptr<SharedCatalog> catalog, WriteApply apply) {
  if (query_pool().size() > 0 && catalog->readers_in_flight() && may_block(ctx)) {
    auto task = std::make_unique<WriteTask>();
    task->catalog = catalog;
    task->apply = [apply](Catalog& c, RedisModuleCtx* cx, WritePrep*) { apply(c, cx); };
    if (hand_over(ctx, task)) return;
  }
  SharedCatalog::Write w = catalog->write();
  apply(*w, ctx);
}

void serve_planned_write(RedisModuleCtx* ctx, std::shared_ptr<SharedCatalog> catalog, WritePlan plan,
                         PlannedApply apply) {
  if (query_pool().size() > 0 && may_block(ctx)) {
    auto task = std::make_unique<WriteTask>();
    task->catalog = catalog;
    task->plan = std::move(plan);
    task->apply = std::move(apply);
    if (hand_over(ctx, task)) return;
    apply = std::move(task->apply);
  }
  serve_write(ctx, std::move(catalog),
              [apply = std::move(apply)](Catalog& c, RedisModuleCtx* cx) { apply(c, cx, nullptr); });
}

}  // namespace reco::glue
