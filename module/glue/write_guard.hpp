// The @write check for RECO.* write commands on Redis 7.0.
//
// Why it exists: a module command can be put into an ACL category only from Redis 7.2 on
// (RedisModule_SetCommandACLCategories, used by command_docs.cpp when the server has it). On
// 7.0 a module command is in no category, so `-@write` would not stop RECO.CATALOG.CREATE or
// RECO.ITEM.SET. There, before a write command does anything, reco asks Redis whether the
// caller may run any of a few core write commands (DEL, SET, HSET, LPUSH, SADD, ZADD, XADD,
// each without keys, so only the command permission is checked); a caller denied all of them
// (`-@write`, or only `+@read`) gets NOPERM and nothing changes. Replicated and loaded
// commands, and callers Redis reports no user for, are not checked.
#pragma once

#include "redismodule.h"

namespace reco::glue {

// Call in OnLoad after the commands and their docs are registered.
void init_write_guard();
// Throws ReplyError{"NOPERM ..."} when the caller may not write (see above).
void check_may_write(RedisModuleCtx* ctx);
// Whether the server sets ACL categories itself (7.2+), so no check is needed.
bool acl_categories_native();

}  // namespace reco::glue
