// The reco.max-* module configs: how an operator sets the caps of limits.hpp, at load time
// (loadmodule arguments, redis.conf) or at run time (CONFIG SET), persisted by CONFIG REWRITE.
// A request beyond a hard limit keeps its old error; one over a cap is refused while its
// arguments are parsed.
#pragma once

#include "limits.hpp"
#include "redismodule.h"

namespace reco::glue {

// Registers the configs (call in OnLoad before RedisModule_LoadConfigs).
int register_limits_config(RedisModuleCtx* ctx);

}  // namespace reco::glue
