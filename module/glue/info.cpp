// INFO section "reco" (see info.hpp). Fields appear prefixed with the module name:
// reco_catalogs, reco_items, reco_vectors, reco_catalog_memory_bytes, reco_index_memory_bytes,
// reco_models (versions over all catalogs), reco_model_requests and reco_model_candidates
// (ranked since start; per version: RECO.MODEL.INFO), reco_graph_exact_fallbacks (graph
// searches answered by an exact scan because the filter left few items), reco_graph_sweeps
// (deleted nodes swept out of graphs), reco_popular_resorts (full re-sorts of the popular
// order); all since load, summed over catalogs; and the query workers: reco_threads
// (reco.threads), reco_queue_length (queries waiting for a worker), reco_busy_workers,
// reco_queries_threaded / reco_queries_inline (since load; inline: reco.threads 0, MULTI,
// scripts and Functions) and reco_queries_requeued (handed back to the main thread because
// the catalog's popular order was stale when the query ran, which only a failed re-sort
// leaves behind); reco_writes_handed_over (item writes whose lock wait ran on a worker,
// serving/write_dispatch.hpp), reco_writes_planned (graph inserts whose neighbour search ran
// on a worker), reco_writes_retargeted (handed-over writes whose catalog was dropped or
// replaced while they waited); reco_graph_inserts_planned / reco_graph_plans_stale (graph
// inserts linked from such a plan, and plans a write made meanwhile had made stale, whose
// item the main thread then linked itself; per live catalog). Then the section reco_commands:
// calls, errors and latency percentiles per command (command_stats.hpp). A crash report skips
// the pool's fields and the commands: the pool's take its mutex, which the crashing thread
// may hold, and the commands' belong to the main thread.
#include "info.hpp"

#include "command_stats.hpp"

#include "reco/kernels.hpp"
#include "reco/model_set.hpp"
#include "registry.hpp"
#include "serving/query_dispatch.hpp"
#include "serving/write_dispatch.hpp"

namespace reco::glue {

namespace {

void info_callback(RedisModuleInfoCtx* ctx, int for_crash_report) {
  unsigned long long items = 0, vectors = 0, bytes = 0, index_bytes = 0;
  unsigned long long models = 0, requests = 0, candidates = 0;
  unsigned long long fallbacks = 0, sweeps = 0, resorts = 0, planned = 0, stale = 0;
  const CatalogMap& all = registry().all();
  for (const auto& [name, shared] : all) {
    const Catalog* catalog = &shared->unlocked();
    items += catalog->size();
    vectors += catalog->vectors().size();
    bytes += catalog->memory_bytes();
    index_bytes += catalog->vectors().memory_bytes();
    const IndexCounters ic = catalog->vectors().counters();
    fallbacks += ic.exact_fallbacks;
    sweeps += ic.sweeps;
    planned += ic.inserts_planned;
    stale += ic.plans_stale;
    resorts += catalog->resorts();
    for (const ModelVersionInfo& v : catalog->models().list()) {
      ++models;
      requests += v.requests;
      candidates += v.candidates;
    }
  }
  // A null name makes the section the module's own ("# reco", INFO reco).
  RedisModule_InfoAddSection(ctx, nullptr);
  RedisModule_InfoAddFieldULongLong(ctx, "catalogs", all.size());
  RedisModule_InfoAddFieldULongLong(ctx, "items", items);
  RedisModule_InfoAddFieldULongLong(ctx, "vectors", vectors);
  RedisModule_InfoAddFieldULongLong(ctx, "catalog_memory_bytes", bytes);
  RedisModule_InfoAddFieldULongLong(ctx, "index_memory_bytes", index_bytes);
  RedisModule_InfoAddFieldULongLong(ctx, "models", models);
  RedisModule_InfoAddFieldULongLong(ctx, "model_requests", requests);
  RedisModule_InfoAddFieldULongLong(ctx, "model_candidates", candidates);
  RedisModule_InfoAddFieldULongLong(ctx, "graph_exact_fallbacks", fallbacks);
  RedisModule_InfoAddFieldULongLong(ctx, "graph_sweeps", sweeps);
  RedisModule_InfoAddFieldULongLong(ctx, "graph_inserts_planned", planned);
  RedisModule_InfoAddFieldULongLong(ctx, "graph_plans_stale", stale);
  RedisModule_InfoAddFieldULongLong(ctx, "popular_resorts", resorts);
  RedisModule_InfoAddFieldCString(ctx, "kernel", std::string(active_kernel_name()).c_str());  // reco/kernels.hpp
  if (for_crash_report) return;
  const WorkerPoolStats pool = query_pool().stats();
  const QueryCounters queries = query_counters();
  RedisModule_InfoAddFieldULongLong(ctx, "threads", pool.threads);
  RedisModule_InfoAddFieldULongLong(ctx, "queue_length", pool.queued);
  RedisModule_InfoAddFieldULongLong(ctx, "busy_workers", pool.busy);
  RedisModule_InfoAddFieldULongLong(ctx, "queries_threaded", queries.threaded);
  RedisModule_InfoAddFieldULongLong(ctx, "queries_inline", queries.inline_);
  RedisModule_InfoAddFieldULongLong(ctx, "queries_requeued", queries.requeued);
  const WriteCounters writes = write_counters();
  RedisModule_InfoAddFieldULongLong(ctx, "writes_handed_over", writes.handed_over);
  RedisModule_InfoAddFieldULongLong(ctx, "writes_planned", writes.planned);
  RedisModule_InfoAddFieldULongLong(ctx, "writes_retargeted", writes.retargeted);
  add_command_stats_info(ctx);
}

}  // namespace

int register_info(RedisModuleCtx* ctx) { return RedisModule_RegisterInfoFunc(ctx, info_callback); }

}  // namespace reco::glue
