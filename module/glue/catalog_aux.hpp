// The node's catalogs in an RDB: aux data of the "reco-user" type, written before the keys.
//
// Payload: catalog encoding, catalog count, then each catalog as reco::save_catalog writes
// it. The header and count are written even when there are no catalogs, so that loading an
// RDB always states the complete set: a load replaces the in-memory catalogs (DEBUG RELOAD,
// replica full sync) and builds the whole new set before it swaps, so a broken payload
// leaves the running catalogs as they were.
#pragma once

#include "redismodule.h"

namespace reco::glue {

void save_catalogs(RedisModuleIO* rdb, int when);
int load_catalogs(RedisModuleIO* rdb, int encver, int when);

}  // namespace reco::glue
