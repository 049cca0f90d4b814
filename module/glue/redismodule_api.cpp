// Storage for the module API pointers declared in redismodule.h, and RecoModule_Init,
// which fills them by name from the server. Kept apart from the commands so that any
// module built from this tree (reco.so, the ABI smoke module of the tests) shares one
// checked way of binding to the server.
#include "redismodule.h"

#define RECO_DEFINE_REDIS_MODULE_API(ret, name, params) ret(*RedisModule_##name) params = nullptr;
RECO_REDIS_MODULE_API(RECO_DEFINE_REDIS_MODULE_API)
RECO_REDIS_MODULE_OPTIONAL_API(RECO_DEFINE_REDIS_MODULE_API)
#undef RECO_DEFINE_REDIS_MODULE_API

namespace {

using GetApiFunc = int (*)(const char* name, void* target);

// Every name, in list order, so a failed load can say exactly what the server lacks.
struct ApiSlot {
  const char* name;
  void* target;
};

#define RECO_API_SLOT(ret, name, params) {"RedisModule_" #name, reinterpret_cast<void*>(&RedisModule_##name)},
const ApiSlot kApiSlots[] = {RECO_REDIS_MODULE_API(RECO_API_SLOT)};
const ApiSlot kOptionalApiSlots[] = {RECO_REDIS_MODULE_OPTIONAL_API(RECO_API_SLOT)};
#undef RECO_API_SLOT

}  // namespace

int RecoModule_Init(RedisModuleCtx* ctx, const char* name, int ver, int apiver) {
  if (ctx == nullptr) return REDISMODULE_ERR;
  // The server places its GetApi function in the first word of every module context.
  auto get_api = reinterpret_cast<GetApiFunc>(*reinterpret_cast<void**>(ctx));
  if (get_api == nullptr) return REDISMODULE_ERR;

  bool complete = true;
  for (const ApiSlot& slot : kApiSlots) {
    if (get_api(slot.name, slot.target) != REDISMODULE_OK) {
      *static_cast<void**>(slot.target) = nullptr;
      complete = false;
    }
  }
  if (!complete) {
    if (RedisModule_Log != nullptr) {
      for (const ApiSlot& slot : kApiSlots) {
        if (*static_cast<void**>(slot.target) == nullptr)
          RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "%s: this server lacks %s", name, slot.name);
      }
    }
    return REDISMODULE_ERR;
  }
  for (const ApiSlot& slot : kOptionalApiSlots) {
    if (get_api(slot.name, slot.target) != REDISMODULE_OK) *static_cast<void**>(slot.target) = nullptr;
  }
  if (RedisModule_IsModuleNameBusy(name)) {
    RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "a module named '%s' is already loaded", name);
    return REDISMODULE_ERR;
  }
  RedisModule_SetModuleAttribs(ctx, name, ver, apiver);
  return REDISMODULE_OK;
}
