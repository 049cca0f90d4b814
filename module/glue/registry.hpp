// The node's catalogs, by name.
//
// Catalogs are node-level objects (like a search index), not keys: every master of a cluster
// holds all of them, so they live in one process-wide map. The map is ordered so that LIST
// replies and RDB aux payloads come out the same on every node. Replacing the whole set at
// once is how an RDB load (DEBUG RELOAD, replica full sync) installs the catalogs it read.
//
// Ownership: the map belongs to Redis's main thread (only it looks names up, creates, drops
// and replaces). Each entry is a SharedCatalog (reco/serving/shared_catalog.hpp): writes go
// through write(), which holds the catalog's exclusive lock; queries on workers hold a
// shared_ptr and the shared lock, so a catalog dropped or replaced meanwhile lives until
// its last query is done. Dropped and replaced catalogs are freed on a worker when there
// is one (a million-item catalog takes long to free), else on the main thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reco/catalog.hpp"
#include "reco/serving/shared_catalog.hpp"

namespace reco::glue {

using CatalogMap = std::map<std::string, std::shared_ptr<SharedCatalog>, std::less<>>;

class Registry {
 public:
  // Throws reco::Error "no such catalog 'x'" (every accessor taking a name).
  std::shared_ptr<SharedCatalog> handle(std::string_view name) const;
  // The main thread's unlocked view, for reads.
  const Catalog& get(std::string_view name) const;
  // An exclusive hold on the catalog for one write.
  SharedCatalog::Write write(std::string_view name);
  bool contains(std::string_view name) const { return catalogs_.count(name) > 0; }
  // Throws reco::Error if the name is taken (or the catalog parameters are invalid).
  // Throws reco::Error (creating nothing) on a bad dimension, index or bias dimension.
  void create(std::string_view name, std::size_t dim, Metric metric, const IndexConfig& index,
              std::optional<std::uint32_t> bias_dim = std::nullopt);
  bool drop(std::string_view name);
  // Installs `catalog` under its name, replacing (and releasing) one of that name if any.
  void put(std::unique_ptr<Catalog> catalog);

  const CatalogMap& all() const noexcept { return catalogs_; }
  // Installs a complete new set; the old catalogs are released (freed once no query holds
  // them).
  void replace(CatalogMap&& next) noexcept;
  // Wraps a catalog for serving: derived structures are refreshed before queries, not by
  // each write (see Catalog::set_refresh_on_write).
  static std::shared_ptr<SharedCatalog> share(std::unique_ptr<Catalog> catalog);

 private:
  CatalogMap catalogs_;
};

// Frees `gone` (a dropped catalog, a removed model version) on a worker when there is one,
// else here (main thread only).
void free_off_main(std::shared_ptr<void> gone) noexcept;

// The one registry of this redis-server process.
Registry& registry();

}  // namespace reco::glue
