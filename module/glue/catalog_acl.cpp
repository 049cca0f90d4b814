// Catalog names checked against the caller's key permissions (see catalog_acl.hpp).
#include "catalog_acl.hpp"

#include <cctype>
#include <optional>

#include "command.hpp"

namespace reco::glue {

namespace {

struct CatalogArg {
  std::string_view command;  // lower case; "parent|sub" for a subcommand
  std::size_t position;      // of the catalog name in argv
};

// Every command that names a catalog, and where. Commands not listed name none (the user
// commands, RECO.CATALOG.LIST).
constexpr CatalogArg kCatalogArgs[] = {
    {"reco.catalog.create", 1},     {"reco.catalog.drop", 1},       {"reco.catalog.info", 1},
    {"reco.catalog.dump", 1},       {"reco.catalog.restore", 1},
    {"reco.catalog.config|get", 2}, {"reco.catalog.config|set", 2}, {"reco.item.set", 1},
    {"reco.item.del", 1},           {"reco.item.get", 1},           {"reco.model.put", 1},
    {"reco.model.activate", 1},     {"reco.model.rollback", 1},     {"reco.model.del", 1},
    {"reco.model.split", 1},        {"reco.model.list", 1},         {"reco.model.info", 1},
    {"reco.score", 1},              {"reco.recommend", 1},          {"reco.similar", 1},
    {"reco.knn", 1},
};

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::optional<std::size_t> position_of(std::span<const std::string_view> args) {
  for (const CatalogArg& c : kCatalogArgs) {
    const std::size_t bar = c.command.find('|');
    if (bar == std::string_view::npos) {
      if (equals_nocase(args[0], c.command)) return c.position;
    } else if (args.size() > 1 && equals_nocase(args[0], c.command.substr(0, bar)) &&
               equals_nocase(args[1], c.command.substr(bar + 1))) {
      return c.position;
    }
  }
  return std::nullopt;
}

// The caller's ACL user, or null where nothing is to be checked.
RedisModuleUser* caller(RedisModuleCtx* ctx) {
  if (RedisModule_GetContextFlags(ctx) & (REDISMODULE_CTX_FLAGS_REPLICATED | REDISMODULE_CTX_FLAGS_LOADING))
    return nullptr;
  RedisModuleString* name = RedisModule_GetCurrentUserName(ctx);
  if (name == nullptr) return nullptr;
  RedisModuleUser* user = RedisModule_GetModuleUserFromUserName(name);
  RedisModule_FreeString(nullptr, name);
  return user;
}

// Whether user may access the guard key of catalog; logs a refusal to ACL LOG when asked.
bool permitted(RedisModuleCtx* ctx, RedisModuleUser* user, std::string_view catalog, bool write, bool log) {
  const std::string key = catalog_guard_key(catalog);
  RedisModuleString* k = RedisModule_CreateString(nullptr, key.data(), key.size());
  const int flags = write ? REDISMODULE_CMD_KEY_UPDATE : REDISMODULE_CMD_KEY_ACCESS;
  const bool ok = RedisModule_ACLCheckKeyPermissions(user, k, flags) == REDISMODULE_OK;
  if (!ok && log) RedisModule_ACLAddLogEntry(ctx, user, k, REDISMODULE_ACL_LOG_KEY);
  RedisModule_FreeString(nullptr, k);
  return ok;
}

}  // namespace

std::string catalog_guard_key(std::string_view catalog) {
  std::string key(kCatalogKeyPrefix);
  key.append(catalog);
  return key;
}

std::optional<std::size_t> catalog_argument(std::span<const std::string_view> args) {
  const std::optional<std::size_t> pos = position_of(args);
  if (pos && *pos < args.size()) return pos;
  return std::nullopt;
}

void check_catalog_access(RedisModuleCtx* ctx, std::span<const std::string_view> args, bool write) {
  const std::optional<std::size_t> pos = catalog_argument(args);
  if (!pos) return;
  RedisModuleUser* user = caller(ctx);
  if (user == nullptr) return;
  const bool ok = permitted(ctx, user, args[*pos], write, true);
  RedisModule_FreeModuleUser(user);
  if (!ok) {
    std::string msg = "NOPERM this user has no permissions to ";
    msg += write ? "write" : "read";
    msg += " the catalog (guarded as the key '" + catalog_guard_key(args[*pos]) + "')";
    throw ReplyError{std::move(msg)};
  }
}

bool may_read_catalog(RedisModuleCtx* ctx, std::string_view catalog) {
  RedisModuleUser* user = caller(ctx);
  if (user == nullptr) return true;
  const bool ok = permitted(ctx, user, catalog, false, false);
  RedisModule_FreeModuleUser(user);
  return ok;
}

}  // namespace reco::glue
