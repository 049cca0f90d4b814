// Keyspace notifications for catalog, item and model changes.
//
// Why it is shaped so: a catalog is not a key, but operators subscribe to changes through
// keyspace notifications, so a change is published on the catalog's guard key
// (catalog_acl.hpp): `__keyspace@<db>__:reco:catalog:<name>` with the command's name as the
// message (`reco.item.set`, `reco.catalog.config`, `reco.model.activate`, ...), and
// `__keyevent@<db>__:<command>` with the guard key, as type `d` (module) events: enable them
// with `notify-keyspace-events Kd` (or `Ed`, `KEd`). An event is published only when the
// command changed the catalog (it was created or dropped, or its version moved), after the
// change, on the database the writing client had selected; a refused write, or an idempotent
// model or config write, publishes nothing (an item re-send moves the version, and so
// publishes). State: none of its own; run on the main thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "redismodule.h"

namespace reco::glue {

struct CatalogWatch {
  std::string event;    // the command's name, lower case
  std::string catalog;
  bool existed = false;
  std::uint64_t version = 0;
};

// For a write command that names a catalog: the catalog's state before it runs.
std::optional<CatalogWatch> watch_catalog(std::span<const std::string_view> args);

// Publishes the event if the catalog was created, dropped or changed since the watch.
void notify_if_changed(RedisModuleCtx* ctx, const CatalogWatch& watch);

}  // namespace reco::glue
