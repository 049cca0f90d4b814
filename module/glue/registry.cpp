// The node's catalog map (see registry.hpp).
#include "registry.hpp"

#include "args.hpp"
#include "reco/error.hpp"
#include "serving/query_dispatch.hpp"

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
  return make_hooked_shared<SharedCatalog>(std::move(catalog));
}

void Registry::create(std::string_view name, std::size_t dim, Metric metric,
                      const IndexConfig& index, std::optional<std::uint32_t> bias_dim) {
  if (contains(name)) throw Error("catalog " + quoted(name) + " already exists");
  auto fresh = std::make_unique<Catalog>(name, dim, metric, index);
  fresh->set_bias_dim(bias_dim);
  auto catalog = share(std::move(fresh));
  catalogs_.emplace(std::string(name), std::move(catalog));
}

// Freeing a large catalog (a million items, their strings, the graph's pages) or model
// takes long enough to stall every client if the main thread did it. Nothing in their
// destructors touches the keyspace or anything else of the main thread's, and the module
// allocator may be called from any thread. A query still running on a dropped catalog
// holds its own reference; whoever lets go last frees it.
void free_off_main(std::shared_ptr<void> gone) noexcept {
  try {
    auto* held = new std::shared_ptr<void>(std::move(gone));
    if (query_pool().submit([held] { delete held; })) return;
    gone = std::move(*held);
    delete held;
  } catch (...) {
  }
  // No worker (reco.threads 0) or no memory for the job: freed here, as before.
}

bool Registry::drop(std::string_view name) {
  auto it = catalogs_.find(name);
  if (it == catalogs_.end()) return false;
  std::shared_ptr<SharedCatalog> gone = std::move(it->second);
  catalogs_.erase(it);
  free_off_main(std::move(gone));
  return true;
}

void Registry::put(std::unique_ptr<Catalog> catalog) {
  std::string name(catalog->name());
  std::shared_ptr<SharedCatalog> next = share(std::move(catalog));
  auto it = catalogs_.find(name);
  if (it == catalogs_.end()) {
    catalogs_.emplace(std::move(name), std::move(next));
    return;
  }
  std::shared_ptr<SharedCatalog> gone = std::move(it->second);
  it->second = std::move(next);
  free_off_main(std::move(gone));
}

void Registry::replace(CatalogMap&& next) noexcept {
  CatalogMap old;
  old.swap(catalogs_);
  catalogs_.swap(next);
  std::shared_ptr<CatalogMap> held;
  try {
    held = std::make_shared<CatalogMap>(std::move(old));
  } catch (...) {
    return;  // no memory for the holder: the old catalogs are freed here
  }
  free_off_main(std::move(held));
}

Registry& registry() {
  // Never destroyed: catalogs hold memory from the module allocator, which must not be
  // called from a static destructor after redis-server has begun to exit.
  static Registry* r = new Registry();
  return *r;
}

}  // namespace reco::glue
