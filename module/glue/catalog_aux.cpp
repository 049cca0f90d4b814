// Catalogs as RDB aux data (see catalog_aux.hpp).
#include "catalog_aux.hpp"

#include <exception>
#include <new>
#include <string>

#include "args.hpp"
#include "rdb_io.hpp"
#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "registry.hpp"

namespace reco::glue {

void save_catalogs(RedisModuleIO* rdb, int when) {
  if (when != REDISMODULE_AUX_BEFORE_RDB) return;
  const CatalogMap& all = registry().all();
  RdbSink out(rdb);
  try {
    out.put_u64(kCatalogEncoding);
    out.put_u64(all.size());
    for (const auto& [name, catalog] : all) save_catalog(catalog->unlocked(), out);
  } catch (const std::exception& e) {
    // The sink itself cannot fail; this would be an engine bug. Redis has no way to abort
    // an aux save, so the RDB will fail to load and say why in the log.
    RedisModule_LogIOError(rdb, "warning", "saving catalogs failed: %s", e.what());
  }
}

int load_catalogs(RedisModuleIO* rdb, int encver, int when) {
  if (when != REDISMODULE_AUX_BEFORE_RDB) return REDISMODULE_OK;
  try {
    RdbSource in(rdb);
    std::uint64_t encoding = in.get_u64();
    if (encoding == 0 || encoding > kCatalogEncoding) {
      throw Error("catalog encoding " + std::to_string(encoding) +
                  " is newer than this module reads (" + std::to_string(kCatalogEncoding) + ")");
    }
    std::uint64_t count = in.get_u64();
    CatalogMap next;
    for (std::uint64_t i = 0; i < count; ++i) {
      // load_catalog sorts the popular order while Redis answers LOADING, rather than
      // before the first query after a restart or a full sync (about 0.25 s at 1M items).
      std::unique_ptr<Catalog> c = load_catalog(in, static_cast<std::uint32_t>(encoding));
      std::string name(c->name());
      if (!next.emplace(name, Registry::share(std::move(c))).second) {
        throw Error("catalog " + quoted(name) + " appears twice");
      }
    }
    registry().replace(std::move(next));
    return REDISMODULE_OK;
  } catch (const std::bad_alloc&) {
    RedisModule_LogIOError(rdb, "warning", "loading catalogs failed: out of memory");
  } catch (const std::exception& e) {
    RedisModule_LogIOError(rdb, "warning", "loading catalogs failed: %s", e.what());
  } catch (...) {
    RedisModule_LogIOError(rdb, "warning", "loading catalogs failed");
  }
  return REDISMODULE_ERR;
}

}  // namespace reco::glue
