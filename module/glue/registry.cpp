// The node's catalog map (see registry.hpp).
#include "registry.hpp"

#include "args.hpp"
#include "reco/error.hpp"

namespace reco::glue {

Catalog* Registry::find(std::string_view name) const {
  auto it = catalogs_.find(name);
  return it == catalogs_.end() ? nullptr : it->second.get();
}

Catalog& Registry::get(std::string_view name) const {
  Catalog* c = find(name);
  if (!c) throw Error("no such catalog " + quoted(name));
  return *c;
}

Catalog& Registry::create(std::string_view name, std::size_t dim, Metric metric,
                           const IndexConfig& index) {
  if (find(name)) throw Error("catalog " + quoted(name) + " already exists");
  auto catalog = std::make_unique<Catalog>(name, dim, metric, index);
  Catalog& ref = *catalog;
  catalogs_.emplace(std::string(name), std::move(catalog));
  return ref;
}

bool Registry::drop(std::string_view name) {
  auto it = catalogs_.find(name);
  if (it == catalogs_.end()) return false;
  catalogs_.erase(it);
  return true;
}

void Registry::replace(CatalogMap&& next) noexcept {
  CatalogMap old;
  old.swap(catalogs_);
  catalogs_.swap(next);
}

Registry& registry() {
  // Never destroyed: catalogs hold memory from the module allocator, which must not be
  // called from a static destructor after redis-server has begun to exit.
  static Registry* r = new Registry();
  return *r;
}

}  // namespace reco::glue
