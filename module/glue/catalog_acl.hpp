// ACL key permissions for catalogs: a catalog is guarded like a key.
//
// Why it is shaped so: catalogs are node-level objects, not keys (every master of a cluster
// holds each catalog, so a catalog name cannot be a key of one slot), and so Redis itself
// checks no key permission for the commands that name them. reco checks instead, before a
// command does anything: the catalog `<name>` is guarded as if it were the key
// `reco:catalog:<name>` (kCatalogKeyPrefix). Reads (queries, INFO, CONFIG GET, ITEM.GET,
// MODEL.LIST/INFO) need read permission on that name, writes (CREATE, DROP, CONFIG SET,
// ITEM.SET/DEL, MODEL.PUT/ACTIVATE/SPLIT/ROLLBACK/DEL) need write permission; a refusal is
// `NOPERM ...`, is written to ACL LOG (reason key) and changes nothing. RECO.CATALOG.LIST
// shows only the catalogs the caller may read. Commands from the master link and the AOF are
// not checked, nor are calls Redis reports no user for (Lua and Functions on Redis 7.0).
// State: the table of catalog positions is written in OnLoad and read-only after.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "redismodule.h"

namespace reco::glue {

inline constexpr std::string_view kCatalogKeyPrefix = "reco:catalog:";

// The key name a catalog is guarded as.
std::string catalog_guard_key(std::string_view catalog);

// Where the command in args names its catalog, if it names one.
std::optional<std::size_t> catalog_argument(std::span<const std::string_view> args);

// Throws ReplyError{"NOPERM ..."} when the command in args names a catalog the caller may not
// read (write = false) or write (write = true). Commands that name no catalog pass.
void check_catalog_access(RedisModuleCtx* ctx, std::span<const std::string_view> args, bool write);

// Whether the caller may read the catalog (for RECO.CATALOG.LIST); true where nothing is checked.
bool may_read_catalog(RedisModuleCtx* ctx, std::string_view catalog);

}  // namespace reco::glue
