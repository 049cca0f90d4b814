// How much a client's write may allocate before used memory would cross maxmemory.
//
// Redis refuses a deny-oom command only when memory is already over maxmemory; a write
// that starts just below it and doubles a 500 MB array ends far above it, and an engine
// allocation that fails half-way would leave a catalog half-changed. So each deny-oom
// write from a client runs under a reco::GrowthLimit (reco/memory.hpp) sized to
// maxmemory - used_memory, checked at every allocation: a step that would cross is refused
// before it is taken, with the error `OOM reco: a step of <n> bytes would cross maxmemory
// (<m> bytes left)`, and the write changes nothing. Writes that arrive from a master or
// from the AOF, and loading, are never limited (a replica applies what its master applied,
// and Redis itself ignores maxmemory there), nor are commands that free memory (DEL, DROP).
//
// Threads: main thread only (the maxmemory value is cached here and refreshed by the
// config-change event).
#pragma once

#include <cstddef>
#include <optional>

#include "redismodule.h"

namespace reco::glue {

int init_memory_limit(RedisModuleCtx* ctx);

// nullopt: no limit applies to a write in `ctx` (maxmemory 0, replicated, loading).
std::optional<std::size_t> write_headroom(RedisModuleCtx* ctx);

}  // namespace reco::glue
