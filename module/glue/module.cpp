// The entry point redis-server calls when it loads reco.so.
//
// Order matters: the engine's allocator hooks go in before any engine object can exist, so
// every byte the catalogs and users hold comes from the module allocator (visible in INFO
// used_memory, counted against maxmemory). TryAlloc, not Alloc: a failed allocation becomes
// an error reply instead of terminating the server. HANDLE_IO_ERRORS makes a truncated or corrupt RDB
// fail the load instead of terminating the server.
#include "aof_preamble.hpp"
#include "command.hpp"
#include "info.hpp"
#include "limits_config.hpp"
#include "memory_limit.hpp"
#include "reco/memory.hpp"
#include "serving/threads_config.hpp"
#include "redismodule.h"
#include "user_type.hpp"
#include "write_guard.hpp"

namespace {
constexpr int kModuleVersion = 1;
}

RECO_MODULE_EXPORT int RedisModule_OnLoad(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  using namespace reco::glue;
  if (RecoModule_Init(ctx, "reco", kModuleVersion, REDISMODULE_APIVER_1) == REDISMODULE_ERR) {
    return REDISMODULE_ERR;
  }
  reco::set_memory_hooks({RedisModule_TryAlloc, RedisModule_Free});
  RedisModule_SetModuleOptions(ctx, REDISMODULE_OPTIONS_HANDLE_IO_ERRORS);

  if (register_user_type(ctx) == REDISMODULE_ERR) {
    RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "could not register the reco-user type");
    return REDISMODULE_ERR;
  }
  if (register_catalog_commands(ctx) == REDISMODULE_ERR || register_catalog_copy_commands(ctx) == REDISMODULE_ERR ||
      register_item_commands(ctx) == REDISMODULE_ERR ||
      register_user_commands(ctx) == REDISMODULE_ERR ||
      register_query_commands(ctx) == REDISMODULE_ERR ||
      register_model_commands(ctx) == REDISMODULE_ERR ||
      register_command_docs(ctx) == REDISMODULE_ERR) {
    return REDISMODULE_ERR;
  }
  init_write_guard();
  if (init_memory_limit(ctx) == REDISMODULE_ERR) return REDISMODULE_ERR;
  if (register_info(ctx) == REDISMODULE_ERR) return REDISMODULE_ERR;
  if (register_threads_config(ctx) == REDISMODULE_ERR || register_limits_config(ctx) == REDISMODULE_ERR ||
      RedisModule_LoadConfigs(ctx) == REDISMODULE_ERR) {
    RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "could not load the reco.* configs");
    return REDISMODULE_ERR;
  }
  start_query_workers();
  warn_if_aof_lacks_preamble(ctx);
  return REDISMODULE_OK;
}
