// The @write check on Redis 7.0 (see write_guard.hpp).
#include "write_guard.hpp"

#include <array>

#include "command.hpp"

namespace reco::glue {

namespace {

constexpr std::array<const char*, 7> kProbeNames{"del", "set", "hset", "lpush", "sadd", "zadd", "xadd"};
std::array<RedisModuleString*, kProbeNames.size()> g_probes{};
bool g_needed = false;

}  // namespace

void init_write_guard() {
  g_needed = !acl_categories_native();
  if (!g_needed) return;
  for (std::size_t i = 0; i < kProbeNames.size(); ++i) {
    const char* n = kProbeNames[i];
    std::size_t len = 0;
    while (n[len] != '\0') ++len;
    g_probes[i] = RedisModule_CreateString(nullptr, n, len);
  }
}

void check_may_write(RedisModuleCtx* ctx) {
  if (!g_needed) return;
  const int flags = RedisModule_GetContextFlags(ctx);
  if (flags & (REDISMODULE_CTX_FLAGS_REPLICATED | REDISMODULE_CTX_FLAGS_LOADING)) return;
  RedisModuleString* name = RedisModule_GetCurrentUserName(ctx);
  if (name == nullptr) return;  // the master link, the AOF loader: no ACL user
  RedisModuleUser* user = RedisModule_GetModuleUserFromUserName(name);
  RedisModule_FreeString(nullptr, name);
  if (user == nullptr) return;
  bool allowed = false;
  for (RedisModuleString*& probe : g_probes) {
    if (RedisModule_ACLCheckCommandPermissions(user, &probe, 1) == REDISMODULE_OK) {
      allowed = true;
      break;
    }
  }
  RedisModule_FreeModuleUser(user);
  if (!allowed)
    throw ReplyError{"NOPERM this user has no permissions to run write commands (reco checks @write on Redis 7.0)"};
}

}  // namespace reco::glue
