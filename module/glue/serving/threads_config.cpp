// reco.threads (see threads_config.hpp).
#include "serving/threads_config.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

#include "serving/query_dispatch.hpp"

namespace reco::glue {

namespace {

long long g_threads = 0;
bool g_started = false;  // before OnLoad ends, the value is only recorded

long long get_threads(const char* /*name*/, void* /*privdata*/) { return g_threads; }

int set_threads(const char* /*name*/, long long value, void* /*privdata*/, RedisModuleString** /*err*/) {
  g_threads = value;
  if (g_started) query_pool().resize(static_cast<std::size_t>(value));
  return REDISMODULE_OK;
}

}  // namespace

long long default_threads() {
  long long cpus = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<long long>(std::thread::hardware_concurrency());
  return std::clamp<long long>(cpus, 1, kMaxDefaultThreads);
}

int register_threads_config(RedisModuleCtx* ctx) {
  g_threads = default_threads();
  return RedisModule_RegisterNumericConfig(ctx, "threads", g_threads, REDISMODULE_CONFIG_DEFAULT, 0,
                                           kMaxThreads, get_threads, set_threads, nullptr, nullptr);
}

void start_query_workers() {
  g_started = true;
  query_pool().resize(static_cast<std::size_t>(g_threads));
}

}  // namespace reco::glue
