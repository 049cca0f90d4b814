// Catalog writes made while queries run: the main thread neither waits for the queries nor
// does a write's costly read-only part itself.
//
// A catalog write needs the catalog's exclusive lock, which waits for the queries running
// on it. Taken on the main thread, that wait (0.2-0.8 ms under load, bench/RESULTS.md)
// stalls every client of the server. So when readers are in flight on the catalog and the
// context may block, serve_write() blocks the writing client and a worker waits for the
// lock on the main thread's behalf (SharedCatalog::acquire_for_main); once it is granted,
// the client is unblocked and the main thread applies the write in the reply callback,
// replicates it (as sent: the reply callback still has the command's arguments) and
// replies. Writes stay on the main thread, in the order they are applied, which is the
// order they are replicated and appended to the AOF. Otherwise (no reader in flight,
// MULTI, scripts, the replication stream, loading, reco.threads 0) the write is applied
// at once, as before. `apply` must validate before it changes anything (it replies with
// its error otherwise). A client that disconnects before the grant loses its write, as
// if it had never been sent; the lock is released all the same.
//
// serve_planned_write() does the same for a write with a costly read-only part: a graph
// insert's neighbour searches (Catalog::plan_upsert), a model file's parse and item tables
// (ModelSet::prepare). Whenever the context may block and
// workers run, a worker makes the plan under the shared lock, concurrently with queries
// and other plans, then waits for the exclusive side as above; the main thread applies the
// write with the plan, which is used only if no write since made it stale (otherwise the
// apply step redoes that part itself): the catalog ends up as if the write had been applied
// inline, so replicas and AOF replays, which apply it inline, hold the same state. Where
// the client may not block, the write is served as by serve_write, without a plan.
//
// A catalog dropped or replaced (CATALOG.DROP, a full sync) while a handed-over write
// waited is not written: the write goes to the catalog now under that name, or fails with
// "no such catalog", as if it had arrived after the drop.
#pragma once

#include <functional>
#include <memory>

#include "reco/catalog.hpp"
#include "reco/serving/shared_catalog.hpp"
#include "redismodule.h"

namespace reco::glue {

using WriteApply = std::function<void(Catalog& catalog, RedisModuleCtx* ctx)>;

void serve_write(RedisModuleCtx* ctx, std::shared_ptr<SharedCatalog> catalog, WriteApply apply);

// What a write's read-only part leaves for its apply step; each write defines its own.
struct WritePrep {
  virtual ~WritePrep() = default;
};
using WritePlan = std::function<std::unique_ptr<WritePrep>(const Catalog& catalog)>;
// `prep` is nullptr when none was made (inline, or the plan threw); `apply` must then do
// the whole write itself, with the same outcome.
using PlannedApply = std::function<void(Catalog& catalog, RedisModuleCtx* ctx, WritePrep* prep)>;

void serve_planned_write(RedisModuleCtx* ctx, std::shared_ptr<SharedCatalog> catalog, WritePlan plan,
                         PlannedApply apply);

struct WriteCounters {
  std::uint64_t handed_over = 0;  // writes applied after a lock wait on a worker
  std::uint64_t planned = 0;      // writes whose plan was made on a worker
  std::uint64_t retargeted = 0;   // handed-over writes whose catalog was dropped or replaced meanwhile
};
// Since load (INFO reco).
WriteCounters write_counters();

}  // namespace reco::glue
