// A warning when AOF rewrites would lose the catalogs.
//
// Catalogs are node-level aux data, not keys: an AOF rewrite keeps them only inside its RDB
// preamble (aof-use-rdb-preamble yes, the default). With the preamble off, a rewritten AOF
// holds the users but no catalogs, so the module says so in the server log when it loads and
// whenever a catalog is created.
#pragma once

#include "redismodule.h"

namespace reco::glue {

void warn_if_aof_lacks_preamble(RedisModuleCtx* ctx);

}  // namespace reco::glue
