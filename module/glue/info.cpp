// INFO section "reco" (see info.hpp). Fields appear prefixed with the module name:
// reco_catalogs, reco_items, reco_vectors, reco_catalog_memory_bytes.
#include "info.hpp"

#include "registry.hpp"

namespace reco::glue {

namespace {

void info_callback(RedisModuleInfoCtx* ctx, int for_crash_report) {
  unsigned long long items = 0, vectors = 0, bytes = 0;
  const CatalogMap& all = registry().all();
  for (const auto& [name, catalog] : all) {
    items += catalog->size();
    vectors += catalog->vectors().size();
    bytes += catalog->memory_bytes();
  }
  // A null name makes the section the module's own ("# reco", INFO reco).
  RedisModule_InfoAddSection(ctx, nullptr);
  RedisModule_InfoAddFieldULongLong(ctx, "catalogs", all.size());
  RedisModule_InfoAddFieldULongLong(ctx, "items", items);
  RedisModule_InfoAddFieldULongLong(ctx, "vectors", vectors);
  RedisModule_InfoAddFieldULongLong(ctx, "catalog_memory_bytes", bytes);
}

}  // namespace

int register_info(RedisModuleCtx* ctx) { return RedisModule_RegisterInfoFunc(ctx, info_callback); }

}  // namespace reco::glue
