// Catalog change notifications (see catalog_events.hpp).
#include "catalog_events.hpp"

#include <cctype>

#include "catalog_acl.hpp"
#include "registry.hpp"

namespace reco::glue {

namespace {

std::optional<std::uint64_t> version_of(std::string_view catalog) {
  const CatalogMap& all = registry().all();
  auto it = all.find(catalog);
  if (it == all.end()) return std::nullopt;
  return it->second->unlocked().version();
}

}  // namespace

std::optional<CatalogWatch> watch_catalog(std::span<const std::string_view> args) {
  const std::optional<std::size_t> pos = catalog_argument(args);
  if (!pos) return std::nullopt;
  CatalogWatch w;
  w.event.assign(args[0]);
  for (char& c : w.event) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  w.catalog.assign(args[*pos]);
  const auto v = version_of(w.catalog);
  w.existed = v.has_value();
  w.version = v.value_or(0);
  return w;
}

void notify_if_changed(RedisModuleCtx* ctx, const CatalogWatch& w) {
  const auto v = version_of(w.catalog);
  const bool changed = v.has_value() != w.existed || (v && *v != w.version);
  if (!changed) return;
  const std::string key = catalog_guard_key(w.catalog);
  RedisModuleString* k = RedisModule_CreateString(nullptr, key.data(), key.size());
  RedisModule_NotifyKeyspaceEvent(ctx, REDISMODULE_NOTIFY_MODULE, w.event.c_str(), k);
  RedisModule_FreeString(nullptr, k);
}

}  // namespace reco::glue
