// Checking aof-use-rdb-preamble (see aof_preamble.hpp).
#include "aof_preamble.hpp"

#include <cstring>

namespace reco::glue {

void warn_if_aof_lacks_preamble(RedisModuleCtx* ctx) {
  // While an AOF or RDB is loading, the catalogs are being restored, not created by a user;
  // the warning at module load already covered this process.
  if (RedisModule_GetContextFlags(ctx) & REDISMODULE_CTX_FLAGS_LOADING) return;
  RedisModuleCallReply* reply = RedisModule_Call(ctx, "CONFIG", "cc", "GET", "aof-use-rdb-preamble");
  if (!reply) return;
  if (RedisModule_CallReplyType(reply) == REDISMODULE_REPLY_ARRAY &&
      RedisModule_CallReplyLength(reply) == 2) {
    std::size_t len = 0;
    const char* v = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(reply, 1), &len);
    if (v && len == 2 && std::strncmp(v, "no", 2) == 0) {
      RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING,
                      "aof-use-rdb-preamble is 'no': an AOF rewrite will keep user keys but "
                      "lose every catalog (catalogs are saved only in RDB data); set it to 'yes'");
    }
  }
  RedisModule_FreeCallReply(reply);
}

}  // namespace reco::glue
