// The node's catalog map (see registry.hpp).
#include "registry.hpp"

#include "args.hpp"
#include "reco/error.hpp"

namespace reco::glue {

std::shared_ptr<SharedCatalog> Registry::handle(std::string_view name) const {
  auto it = catalogs_.find(name);
  if (it == catalogs_.end()) throw Error("no such catalog " + quoted(name));
  return it->second;
}

const Catalog& Registry::get(std::string_view name) const { return handle(name)->unlocked(); }

SharedCatalog::Write Registry::write(std::string_view name) { return handle(name)->write(); }

std::shared_ptr<SharedCatalog> Registry::share(std::unique_ptr<Catalog> catalog) {
  catalog->set_refresh_on_write(false);
  return std::make_shared<SharedCatalog>(std::move(catalog));
}

void Registry::create(std::string_view name, std::size_t dim, Metric metric,
                      const IndexConfig& index, std::optional<std::uint32_t> bias_dim) {
  if (contains(name)) throw Error("catalog " + quoted(name) + " already exists");
  auto fresh = std::make_unique<Catalog>(name, dim, metric, index);
  fresh->set_bias_dim(bias_dim);
  auto catalog = share(std::move(fresh));
  catalogs_.emplace(std::string(name), std::move(catalog));
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
