// The node's catalogs, by name.
//
// Catalogs are node-level objects (like a search index), not keys: every master of a cluster
// holds all of them, so they live in one process-wide map. The map is ordered so that LIST
// replies and RDB aux payloads come out the same on every node. Replacing the whole set at
// once is how an RDB load (DEBUG RELOAD, replica full sync) installs the catalogs it read.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "reco/catalog.hpp"

namespace reco::glue {

using CatalogMap = std::map<std::string, std::unique_ptr<Catalog>, std::less<>>;

class Registry {
 public:
  Catalog* find(std::string_view name) const;
  // Throws reco::Error "no such catalog 'x'".
  Catalog& get(std::string_view name) const;
  // Throws reco::Error if the name is taken (or the catalog parameters are invalid).
  Catalog& create(std::string_view name, std::size_t dim, Metric metric, const IndexConfig& index);
  bool drop(std::string_view name);

  const CatalogMap& all() const noexcept { return catalogs_; }
  // Installs a complete new set; the old catalogs are freed.
  void replace(CatalogMap&& next) noexcept;

 private:
  CatalogMap catalogs_;
};

// The one registry of this redis-server process.
Registry& registry();

}  // namespace reco::glue
