// The headroom below maxmemory for client writes (see memory_limit.hpp).
#include "memory_limit.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

namespace reco::glue {

namespace {

std::size_t g_maxmemory = 0;
bool g_known = false;  // false: read it again before the next limited write

void read_maxmemory(RedisModuleCtx* ctx) {
  g_maxmemory = 0;
  RedisModuleCallReply* r = RedisModule_Call(ctx, "CONFIG", "cc", "GET", "maxmemory");
  if (!r) return;
  if (RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ARRAY && RedisModule_CallReplyLength(r) == 2) {
    std::size_t len = 0;
    const char* p = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(r, 1), &len);
    if (p) g_maxmemory = std::strtoull(std::string(p, len).c_str(), nullptr, 10);
  }
  RedisModule_FreeCallReply(r);
  g_known = true;
}

void on_config_change(RedisModuleCtx* /*ctx*/, RedisModuleEvent /*eid*/, uint64_t subevent, void* data) {
  if (subevent != REDISMODULE_SUBEVENT_CONFIG_CHANGE || !data) return;
  const auto* change = static_cast<const RedisModuleConfigChange*>(data);
  for (uint32_t i = 0; i < change->num_changes; ++i)
    if (change->config_names[i] && std::strcmp(change->config_names[i], "maxmemory") == 0) g_known = false;
}

}  // namespace

int init_memory_limit(RedisModuleCtx* ctx) {
  // Without the event (a server older than 7.0) maxmemory is read before every limited write.
  static const RedisModuleEvent kConfig{REDISMODULE_EVENT_CONFIG, 1};
  if (RedisModule_SubscribeToServerEvent(ctx, kConfig, on_config_change) == REDISMODULE_ERR) {
    RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING,
                    "config-change events unavailable: maxmemory is read on every write");
  }
  return REDISMODULE_OK;
}

std::optional<std::size_t> write_headroom(RedisModuleCtx* ctx) {
  const int flags = RedisModule_GetContextFlags(ctx);
  if (flags & (REDISMODULE_CTX_FLAGS_REPLICATED | REDISMODULE_CTX_FLAGS_LOADING)) return std::nullopt;
  if (!(flags & REDISMODULE_CTX_FLAGS_MAXMEMORY)) return std::nullopt;
  if (!g_known) read_maxmemory(ctx);
  if (g_maxmemory == 0) return std::nullopt;
  // The ratio is Redis's own (used memory net of replication and AOF buffers, as eviction
  // counts it) over maxmemory.
  const double used = static_cast<double>(RedisModule_GetUsedMemoryRatio()) * static_cast<double>(g_maxmemory);
  if (used >= static_cast<double>(g_maxmemory)) return 0;
  return static_cast<std::size_t>(static_cast<double>(g_maxmemory) - used);
}

}  // namespace reco::glue
