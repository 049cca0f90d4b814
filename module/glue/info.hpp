// The "reco" section of INFO: how much the node's catalogs hold.
//
// Catalog memory comes from the module allocator and so already counts in used_memory;
// this section says how much of it the catalogs are, next to their item and vector counts.
#pragma once

#include "redismodule.h"

namespace reco::glue {

int register_info(RedisModuleCtx* ctx);

}  // namespace reco::glue
