// The reco.threads module config: how many query workers run.
//
// CONFIG GET/SET reco.threads, `reco.threads <n>` in redis.conf after the loadmodule line,
// `--reco.threads <n>` on the command line, MODULE LOADEX ... CONFIG reco.threads <n>.
// 0 runs every query inline on the main thread. The default is the number of CPUs the
// process may use (capped at kMaxDefaultThreads): queries are CPU-bound and short, the main
// thread mostly parses and writes replies, and a worker waiting for a core costs only
// its queue time. A change applies at once: new workers start, leaving ones finish the
// queue first. Main thread only.
#pragma once

#include "redismodule.h"

namespace reco::glue {

constexpr long long kMaxThreads = 256;
constexpr long long kMaxDefaultThreads = 16;

// Registers the config (call in OnLoad before RedisModule_LoadConfigs).
int register_threads_config(RedisModuleCtx* ctx);
// Starts the workers the loaded config asks for (call after RedisModule_LoadConfigs).
void start_query_workers();
long long default_threads();

}  // namespace reco::glue
