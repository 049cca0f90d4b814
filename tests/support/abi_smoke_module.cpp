// A test-only Redis module that exercises the project's own module-API declarations
// (module/glue/redismodule.h) against a real redis-server: a 9-character data type with
// every callback the glue relies on, aux data saved before the keyspace, and commands
// whose only job is to make each API call observable from a client.
//
// Why it is shaped so: a wrong constant or struct offset does not fail to compile, it
// silently calls the wrong slot or crashes the server. So every callback counts its calls
// (SMOKE.STATS) and tests assert that the server invoked exactly the slot they expect.
// Module arguments pick the callback generation: "v4" registers the 7.0-only KeyOptCtx
// callbacks (mem_usage2, free_effort2, unlink2, copy2) instead of their older twins;
// "methods-version N" overrides the version field, to see what the server accepts.
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "redismodule.h"

namespace {

constexpr const char* kTypeName = "smoke-abi";  // type names are exactly 9 characters
constexpr int kEncodingVersion = 1;
// Written around the payload in the RDB, so a load that reads the wrong field fails loudly.
constexpr int64_t kSignedSentinel = -1234567890123LL;
constexpr double kDoubleSentinel = 3.25;
constexpr float kFloatSentinel = 1.5f;

RedisModuleType* g_type = nullptr;

struct Value {
  char* data;
  size_t len;
};

Value* value_new(const char* data, size_t len) {
  auto* v = static_cast<Value*>(RedisModule_Alloc(sizeof(Value)));
  v->data = static_cast<char*>(RedisModule_Alloc(len ? len : 1));
  if (len) std::memcpy(v->data, data, len);
  v->len = len;
  return v;
}

void value_free(Value* v) {
  RedisModule_Free(v->data);
  RedisModule_Free(v);
}

// Aux (out-of-keyspace) state: stands in for node-level data such as a catalog.
struct Aux {
  std::string value;
} g_aux;

struct Stats {
  long long rdb_save = 0, rdb_load = 0, aof_rewrite = 0, mem_usage = 0, mem_usage2 = 0, digest = 0, free = 0,
            aux_save = 0, aux_load = 0, free_effort = 0, free_effort2 = 0, unlink = 0, unlink2 = 0, copy = 0,
            copy2 = 0, flush_start = 0, flush_end = 0, loading_ended = 0;
  long long last_sample_size = -1, last_flush_db = -2, last_copy_from_db = -1, last_copy_to_db = -1,
            last_aux_when = -1;
  long long last_load_db = -1, load_had_ctx = 0, read_open_null = 0;
  std::string last_copy_from, last_copy_to, last_unlink_key, last_load_key;
} g_stats;

std::string to_std(const RedisModuleString* s) {
  size_t len = 0;
  const char* p = RedisModule_StringPtrLen(s, &len);
  return std::string(p, len);
}

size_t value_size(const Value* v) { return sizeof(Value) + v->len; }

// ---- type callbacks -----------------------------------------------------------------------

void* rdb_load(RedisModuleIO* io, int encver) {
  ++g_stats.rdb_load;
  if (const RedisModuleString* name = RedisModule_GetKeyNameFromIO(io)) g_stats.last_load_key = to_std(name);
  g_stats.last_load_db = RedisModule_GetDbIdFromIO(io);
  g_stats.load_had_ctx = RedisModule_GetContextFromIO(io) != nullptr;
  if (encver != kEncodingVersion) {
    RedisModule_LogIOError(io, REDISMODULE_LOGLEVEL_WARNING, "smoke: unknown encoding version %d", encver);
    return nullptr;
  }
  uint64_t len = RedisModule_LoadUnsigned(io);
  size_t got = 0;
  char* buf = RedisModule_LoadStringBuffer(io, &got);
  int64_t s = RedisModule_LoadSigned(io);
  double d = RedisModule_LoadDouble(io);
  float f = RedisModule_LoadFloat(io);
  RedisModuleString* echo = RedisModule_LoadString(io);
  if (RedisModule_IsIOError(io)) {
    if (buf) RedisModule_Free(buf);
    if (echo) RedisModule_FreeString(nullptr, echo);
    return nullptr;
  }
  bool ok = got == len && s == kSignedSentinel && d == kDoubleSentinel && f == kFloatSentinel &&
            to_std(echo) == std::string(buf, got);
  RedisModule_FreeString(nullptr, echo);
  if (!ok) {
    RedisModule_Free(buf);
    RedisModule_LogIOError(io, REDISMODULE_LOGLEVEL_WARNING, "smoke: RDB fields out of order");
    return nullptr;
  }
  Value* v = value_new(buf, got);
  RedisModule_Free(buf);
  return v;
}

void rdb_save(RedisModuleIO* io, void* value) {
  ++g_stats.rdb_save;
  auto* v = static_cast<Value*>(value);
  RedisModule_SaveUnsigned(io, v->len);
  RedisModule_SaveStringBuffer(io, v->data, v->len);
  RedisModule_SaveSigned(io, kSignedSentinel);
  RedisModule_SaveDouble(io, kDoubleSentinel);
  RedisModule_SaveFloat(io, kFloatSentinel);
  RedisModuleString* echo = RedisModule_CreateString(nullptr, v->data, v->len);
  RedisModule_SaveString(io, echo);
  RedisModule_FreeString(nullptr, echo);
}

void aof_rewrite(RedisModuleIO* aof, RedisModuleString* key, void* value) {
  ++g_stats.aof_rewrite;
  auto* v = static_cast<Value*>(value);
  RedisModule_EmitAOF(aof, "SMOKE.SET", "sb", key, v->data, v->len);
}

size_t mem_usage(const void* value) {
  ++g_stats.mem_usage;
  return value_size(static_cast<const Value*>(value));
}

void digest(RedisModuleDigest* md, void* value) {
  ++g_stats.digest;
  auto* v = static_cast<Value*>(value);
  RedisModule_DigestAddStringBuffer(md, v->data, v->len);
  RedisModule_DigestAddLongLong(md, static_cast<long long>(v->len));
  RedisModule_DigestEndSequence(md);
}

void free_value(void* value) {
  ++g_stats.free;
  value_free(static_cast<Value*>(value));
}

int aux_load(RedisModuleIO* rdb, int encver, int when) {
  ++g_stats.aux_load;
  g_stats.last_aux_when = when;
  if (encver != kEncodingVersion || when != REDISMODULE_AUX_BEFORE_RDB) return REDISMODULE_ERR;
  size_t len = 0;
  char* buf = RedisModule_LoadStringBuffer(rdb, &len);
  if (RedisModule_IsIOError(rdb)) return REDISMODULE_ERR;
  g_aux.value.assign(buf, len);
  RedisModule_Free(buf);
  return REDISMODULE_OK;
}

void aux_save(RedisModuleIO* rdb, int when) {
  ++g_stats.aux_save;
  g_stats.last_aux_when = when;
  // 7.0 writes the aux record header whether or not anything follows, so always write.
  RedisModule_SaveStringBuffer(rdb, g_aux.value.data(), g_aux.value.size());
}

size_t free_effort(RedisModuleString* key, const void* value) {
  ++g_stats.free_effort;
  return 1;
}

void unlink_cb(RedisModuleString* key, const void* value) {
  ++g_stats.unlink;
  g_stats.last_unlink_key = to_std(key);
}

void* copy(RedisModuleString* fromkey, RedisModuleString* tokey, const void* value) {
  ++g_stats.copy;
  g_stats.last_copy_from = to_std(fromkey);
  g_stats.last_copy_to = to_std(tokey);
  auto* v = static_cast<const Value*>(value);
  return value_new(v->data, v->len);
}

size_t mem_usage2(RedisModuleKeyOptCtx* ctx, const void* value, size_t sample_size) {
  ++g_stats.mem_usage2;
  g_stats.last_sample_size = static_cast<long long>(sample_size);
  return value_size(static_cast<const Value*>(value));
}

size_t free_effort2(RedisModuleKeyOptCtx* ctx, const void* value) {
  ++g_stats.free_effort2;
  return 1;
}

void unlink2(RedisModuleKeyOptCtx* ctx, const void* value) {
  ++g_stats.unlink2;
  g_stats.last_unlink_key = to_std(RedisModule_GetKeyNameFromOptCtx(ctx));
}

void* copy2(RedisModuleKeyOptCtx* ctx, const void* value) {
  ++g_stats.copy2;
  g_stats.last_copy_from = to_std(RedisModule_GetKeyNameFromOptCtx(ctx));
  g_stats.last_copy_to = to_std(RedisModule_GetToKeyNameFromOptCtx(ctx));
  g_stats.last_copy_from_db = RedisModule_GetDbIdFromOptCtx(ctx);
  g_stats.last_copy_to_db = RedisModule_GetToDbIdFromOptCtx(ctx);
  auto* v = static_cast<const Value*>(value);
  return value_new(v->data, v->len);
}

// ---- server events ------------------------------------------------------------------------

void on_flush(RedisModuleCtx* ctx, RedisModuleEvent eid, uint64_t subevent, void* data) {
  auto* info = static_cast<RedisModuleFlushInfo*>(data);
  if (subevent == REDISMODULE_SUBEVENT_FLUSHDB_START) ++g_stats.flush_start;
  if (subevent == REDISMODULE_SUBEVENT_FLUSHDB_END) ++g_stats.flush_end;
  if (info && info->version == REDISMODULE_FLUSHINFO_VERSION) g_stats.last_flush_db = info->dbnum;
}

void on_loading(RedisModuleCtx* ctx, RedisModuleEvent eid, uint64_t subevent, void* data) {
  if (subevent == REDISMODULE_SUBEVENT_LOADING_ENDED) ++g_stats.loading_ended;
}

// ---- commands -----------------------------------------------------------------------------

// Opens `name` for the given mode. Returns false after replying WRONGTYPE if it holds
// another type. `*key` may be null: OpenKey in read mode returns null for a missing key.
bool open_own(RedisModuleCtx* ctx, RedisModuleString* name, int mode, RedisModuleKey** key) {
  *key = RedisModule_OpenKey(ctx, name, mode);
  int type = RedisModule_KeyType(*key);
  if (type != REDISMODULE_KEYTYPE_EMPTY &&
      (type != REDISMODULE_KEYTYPE_MODULE || RedisModule_ModuleTypeGetType(*key) != g_type)) {
    RedisModule_CloseKey(*key);
    RedisModule_ReplyWithError(ctx, REDISMODULE_ERRORMSG_WRONGTYPE);
    return false;
  }
  return true;
}

// SMOKE.SET key value
int cmd_set(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 3) return RedisModule_WrongArity(ctx);
  RedisModuleKey* key = nullptr;
  if (!open_own(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE, &key)) return REDISMODULE_OK;
  size_t len = 0;
  const char* data = RedisModule_StringPtrLen(argv[2], &len);
  Value* v = value_new(data, len);
  if (RedisModule_KeyType(key) == REDISMODULE_KEYTYPE_EMPTY) {
    RedisModule_ModuleTypeSetValue(key, g_type, v);
  } else {
    void* old = nullptr;
    RedisModule_ModuleTypeReplaceValue(key, g_type, v, &old);
    if (old) value_free(static_cast<Value*>(old));
  }
  RedisModule_CloseKey(key);
  RedisModule_SignalModifiedKey(ctx, argv[1]);
  RedisModule_NotifyKeyspaceEvent(ctx, REDISMODULE_NOTIFY_MODULE, "smoke.set", argv[1]);
  RedisModule_ReplicateVerbatim(ctx);
  return RedisModule_ReplyWithSimpleString(ctx, "OK");
}

// SMOKE.GET key
int cmd_get(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return RedisModule_WrongArity(ctx);
  RedisModuleKey* key = nullptr;
  if (!open_own(ctx, argv[1], REDISMODULE_READ, &key)) return REDISMODULE_OK;
  if (key == nullptr) ++g_stats.read_open_null;  // read-only opens of missing keys give no handle
  if (RedisModule_KeyType(key) == REDISMODULE_KEYTYPE_EMPTY) {
    RedisModule_CloseKey(key);
    return RedisModule_ReplyWithNull(ctx);
  }
  auto* v = static_cast<Value*>(RedisModule_ModuleTypeGetValue(key));
  RedisModule_ReplyWithStringBuffer(ctx, v->data, v->len);
  RedisModule_CloseKey(key);
  return REDISMODULE_OK;
}

// SMOKE.DEL key -> 1 if deleted, 0 if absent
int cmd_del(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return RedisModule_WrongArity(ctx);
  RedisModuleKey* key = nullptr;
  if (!open_own(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE, &key)) return REDISMODULE_OK;
  bool existed = RedisModule_KeyType(key) != REDISMODULE_KEYTYPE_EMPTY;
  if (existed) RedisModule_DeleteKey(key);
  RedisModule_CloseKey(key);
  if (existed) RedisModule_ReplicateVerbatim(ctx);
  return RedisModule_ReplyWithLongLong(ctx, existed ? 1 : 0);
}

// SMOKE.AUX.SET value: replicated as an explicit command, to exercise Replicate().
int cmd_aux_set(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return RedisModule_WrongArity(ctx);
  g_aux.value = to_std(argv[1]);
  RedisModule_Replicate(ctx, "SMOKE.AUX.SET", "s", argv[1]);
  return RedisModule_ReplyWithSimpleString(ctx, "OK");
}

int cmd_aux_get(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 1) return RedisModule_WrongArity(ctx);
  return RedisModule_ReplyWithStringBuffer(ctx, g_aux.value.data(), g_aux.value.size());
}

// SMOKE.STATS: a map, with its length set after the fact (ReplyWithMap + ReplySetMapLength).
int cmd_stats(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 1) return RedisModule_WrongArity(ctx);
  RedisModule_ReplyWithMap(ctx, REDISMODULE_POSTPONED_LEN);
  long n = 0;
  auto num = [&](const char* name, long long v) {
    RedisModule_ReplyWithCString(ctx, name);
    RedisModule_ReplyWithLongLong(ctx, v);
    ++n;
  };
  auto str = [&](const char* name, const std::string& v) {
    RedisModule_ReplyWithCString(ctx, name);
    RedisModule_ReplyWithStringBuffer(ctx, v.data(), v.size());
    ++n;
  };
  const Stats& s = g_stats;
  num("rdb_save", s.rdb_save);
  num("rdb_load", s.rdb_load);
  num("aof_rewrite", s.aof_rewrite);
  num("mem_usage", s.mem_usage);
  num("mem_usage2", s.mem_usage2);
  num("digest", s.digest);
  num("free", s.free);
  num("aux_save", s.aux_save);
  num("aux_load", s.aux_load);
  num("free_effort", s.free_effort);
  num("free_effort2", s.free_effort2);
  num("unlink", s.unlink);
  num("unlink2", s.unlink2);
  num("copy", s.copy);
  num("copy2", s.copy2);
  num("flush_start", s.flush_start);
  num("flush_end", s.flush_end);
  num("loading_ended", s.loading_ended);
  num("last_sample_size", s.last_sample_size);
  num("last_flush_db", s.last_flush_db);
  num("last_copy_from_db", s.last_copy_from_db);
  num("last_copy_to_db", s.last_copy_to_db);
  num("last_aux_when", s.last_aux_when);
  num("last_load_db", s.last_load_db);
  num("load_had_ctx", s.load_had_ctx);
  num("read_open_null", s.read_open_null);
  str("last_load_key", s.last_load_key);
  str("last_copy_from", s.last_copy_from);
  str("last_copy_to", s.last_copy_to);
  str("last_unlink_key", s.last_unlink_key);
  RedisModule_ReplySetMapLength(ctx, n);
  return REDISMODULE_OK;
}

// SMOKE.ENV: what the server says about itself and the calling context.
int cmd_env(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 1) return RedisModule_WrongArity(ctx);
  RedisModule_AutoMemory(ctx);
  RedisModule_ReplyWithArray(ctx, REDISMODULE_POSTPONED_ARRAY_LEN);
  long n = 0;
  auto num = [&](const char* name, long long v) {
    RedisModule_ReplyWithCString(ctx, name);
    RedisModule_ReplyWithLongLong(ctx, v);
    n += 2;
  };
  num("type_method_version", RedisModule_GetTypeMethodVersion());
  num("server_version", RedisModule_GetServerVersion());
  num("context_flags_all", RedisModule_GetContextFlagsAll());
  int flags = RedisModule_GetContextFlags(ctx);
  num("context_flags", flags);
  num("flag_master", (flags & REDISMODULE_CTX_FLAGS_MASTER) != 0);
  num("flag_slave", (flags & REDISMODULE_CTX_FLAGS_SLAVE) != 0);
  num("flag_readonly", (flags & REDISMODULE_CTX_FLAGS_READONLY) != 0);
  num("flag_multi", (flags & REDISMODULE_CTX_FLAGS_MULTI) != 0);
  num("flag_lua", (flags & REDISMODULE_CTX_FLAGS_LUA) != 0);
  num("flag_aof", (flags & REDISMODULE_CTX_FLAGS_AOF) != 0);
  num("flag_replica_online", (flags & REDISMODULE_CTX_FLAGS_REPLICA_IS_ONLINE) != 0);
  num("selected_db", RedisModule_GetSelectedDb(ctx));
  num("client_id", static_cast<long long>(RedisModule_GetClientId(ctx)));
  num("milliseconds", RedisModule_Milliseconds());
  num("monotonic_us", static_cast<long long>(RedisModule_MonotonicMicroseconds()));
  RedisModule_ReplySetArrayLength(ctx, n);
  return REDISMODULE_OK;
}

// SMOKE.NUM text -> [long long or nil, double or nil, bool(is integer), "<printf echo>"]
int cmd_num(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return RedisModule_WrongArity(ctx);
  long long ll = 0;
  double d = 0;
  unsigned long long ull = 0;
  bool is_ll = RedisModule_StringToLongLong(argv[1], &ll) == REDISMODULE_OK;
  bool is_d = RedisModule_StringToDouble(argv[1], &d) == REDISMODULE_OK;
  bool is_ull = RedisModule_StringToULongLong(argv[1], &ull) == REDISMODULE_OK;
  RedisModule_ReplyWithArray(ctx, 5);
  if (is_ll) RedisModule_ReplyWithLongLong(ctx, ll); else RedisModule_ReplyWithNull(ctx);
  if (is_d) RedisModule_ReplyWithDouble(ctx, d); else RedisModule_ReplyWithNull(ctx);
  RedisModule_ReplyWithBool(ctx, is_ll);
  if (is_ull) {
    RedisModuleString* s = RedisModule_CreateStringPrintf(ctx, "u%llu", ull);
    RedisModule_ReplyWithString(ctx, s);
    RedisModule_FreeString(ctx, s);
  } else {
    RedisModule_ReplyWithEmptyString(ctx);
  }
  RedisModuleString* dstr = RedisModule_CreateStringFromDouble(ctx, is_d ? d : 0.0);
  RedisModuleString* lstr = RedisModule_CreateStringFromLongLong(ctx, is_ll ? ll : 0);
  RedisModuleString* both = RedisModule_CreateStringPrintf(ctx, "%s|%s", RedisModule_StringPtrLen(lstr, nullptr),
                                                           RedisModule_StringPtrLen(dstr, nullptr));
  RedisModule_ReplyWithString(ctx, both);
  RedisModule_FreeString(ctx, both);
  RedisModule_FreeString(ctx, dstr);
  RedisModule_FreeString(ctx, lstr);
  return REDISMODULE_OK;
}

// SMOKE.EMPTY kind: the empty/null reply shapes.
int cmd_empty(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return RedisModule_WrongArity(ctx);
  std::string kind = to_std(argv[1]);
  if (kind == "array") return RedisModule_ReplyWithEmptyArray(ctx);
  if (kind == "nullarray") return RedisModule_ReplyWithNullArray(ctx);
  if (kind == "string") return RedisModule_ReplyWithEmptyString(ctx);
  return RedisModule_ReplyWithError(ctx, "ERR unknown kind");
}

// SMOKE.CALL cmd [arg ...] -> [reply type name, payload]; payload is the integer, the string,
// the array length or nil.
int cmd_call(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 2) return RedisModule_WrongArity(ctx);
  std::string name = to_std(argv[1]);
  RedisModuleCallReply* r = RedisModule_Call(ctx, name.c_str(), "v", argv + 2, static_cast<size_t>(argc - 2));
  if (!r) return RedisModule_ReplyWithError(ctx, "ERR call failed");
  int type = RedisModule_CallReplyType(r);
  RedisModule_ReplyWithArray(ctx, 2);
  // Named through the header's constants, so a wrong constant shows as "other".
  switch (type) {
    case REDISMODULE_REPLY_STRING: RedisModule_ReplyWithCString(ctx, "string"); break;
    case REDISMODULE_REPLY_ERROR: RedisModule_ReplyWithCString(ctx, "error"); break;
    case REDISMODULE_REPLY_INTEGER: RedisModule_ReplyWithCString(ctx, "integer"); break;
    case REDISMODULE_REPLY_ARRAY: RedisModule_ReplyWithCString(ctx, "array"); break;
    case REDISMODULE_REPLY_NULL: RedisModule_ReplyWithCString(ctx, "null"); break;
    default: RedisModule_ReplyWithCString(ctx, "other"); break;
  }
  switch (type) {
    case REDISMODULE_REPLY_INTEGER:
      RedisModule_ReplyWithLongLong(ctx, RedisModule_CallReplyInteger(r));
      break;
    case REDISMODULE_REPLY_STRING:
    case REDISMODULE_REPLY_ERROR: {
      size_t len = 0;
      const char* p = RedisModule_CallReplyStringPtr(r, &len);
      RedisModule_ReplyWithStringBuffer(ctx, p, len);
      break;
    }
    case REDISMODULE_REPLY_ARRAY: {
      size_t len = RedisModule_CallReplyLength(r);
      // The first element proves CallReplyArrayElement hands back a usable reply.
      if (len > 0) {
        size_t elen = 0;
        const char* p = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(r, 0), &elen);
        RedisModuleString* s = RedisModule_CreateStringPrintf(ctx, "%zu:%.*s", len, static_cast<int>(elen), p);
        RedisModule_ReplyWithString(ctx, s);
        RedisModule_FreeString(ctx, s);
      } else {
        RedisModule_ReplyWithCString(ctx, "0:");
      }
      break;
    }
    default:
      RedisModule_ReplyWithNull(ctx);
  }
  RedisModule_FreeCallReply(r);
  return REDISMODULE_OK;
}

// SMOKE.PAIR a x b y ...: keys are every other argument, declared through the getkeys API.
int cmd_pair(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (RedisModule_IsKeysPositionRequest(ctx)) {
    for (int i = 1; i < argc; i += 2) RedisModule_KeyAtPos(ctx, i);
    return REDISMODULE_OK;
  }
  if (argc < 3 || argc % 2 == 0) return RedisModule_WrongArity(ctx);
  long long present = 0;
  for (int i = 1; i < argc; i += 2) present += RedisModule_KeyExists(ctx, argv[i]);
  return RedisModule_ReplyWithLongLong(ctx, present);
}

// SMOKE.SLEEP ms: blocks the client while a thread waits, then answers from the main thread.
int sleep_reply(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  auto* slept = static_cast<long long*>(RedisModule_GetBlockedClientPrivateData(ctx));
  return RedisModule_ReplyWithLongLong(ctx, slept ? *slept : -1);
}

int sleep_timeout(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  return RedisModule_ReplyWithError(ctx, "ERR timed out");
}

void sleep_free(RedisModuleCtx* ctx, void* privdata) { RedisModule_Free(privdata); }

int cmd_sleep(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return RedisModule_WrongArity(ctx);
  long long ms = 0;
  if (RedisModule_StringToLongLong(argv[1], &ms) != REDISMODULE_OK || ms < 0 || ms > 10000)
    return RedisModule_ReplyWithError(ctx, "ERR ms must be an integer in [0, 10000]");
  RedisModuleBlockedClient* bc = RedisModule_BlockClient(ctx, sleep_reply, sleep_timeout, sleep_free, 0);
  if (!bc) return RedisModule_ReplyWithError(ctx, "ERR cannot block here");
  try {
    std::thread([bc, ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      auto* result = static_cast<long long*>(RedisModule_Alloc(sizeof(long long)));
      *result = ms;
      RedisModule_UnblockClient(bc, result);
    }).detach();
  } catch (...) {
    RedisModule_AbortBlock(bc);
    return RedisModule_ReplyWithError(ctx, "ERR cannot start a thread");
  }
  return REDISMODULE_OK;
}

// SMOKE.ALLOC n: memory API round trip; returns [usable size >= n, calloc zeroed, realloc kept data, strdup ok]
int cmd_alloc(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return RedisModule_WrongArity(ctx);
  long long n = 0;
  if (RedisModule_StringToLongLong(argv[1], &n) != REDISMODULE_OK || n < 1 || n > (1 << 20))
    return RedisModule_ReplyWithError(ctx, "ERR n must be in [1, 1048576]");
  auto size = static_cast<size_t>(n);
  auto* z = static_cast<unsigned char*>(RedisModule_Calloc(size, 1));
  bool zeroed = true;
  for (size_t i = 0; i < size; ++i) zeroed = zeroed && z[i] == 0;
  z[0] = 42;
  z = static_cast<unsigned char*>(RedisModule_Realloc(z, size * 2));
  bool kept = z[0] == 42;
  size_t usable = RedisModule_MallocUsableSize(z);
  size_t msize = RedisModule_MallocSize(z);
  RedisModule_Free(z);
  char* dup = RedisModule_Strdup("smoke");
  bool dup_ok = std::strcmp(dup, "smoke") == 0;
  RedisModule_Free(dup);
  void* t = RedisModule_TryAlloc(size);
  bool try_ok = t != nullptr;
  RedisModule_Free(t);
  // String ownership calls: a copy compares equal, a held/retained string stays valid.
  RedisModuleString* copy_of = RedisModule_CreateStringFromString(ctx, argv[1]);
  RedisModuleString* held = RedisModule_HoldString(ctx, copy_of);
  RedisModule_RetainString(ctx, held);
  bool strings_ok = RedisModule_StringCompare(held, argv[1]) == 0 && RedisModule_MallocSizeString(held) > 0;
  RedisModule_FreeString(ctx, held);
  RedisModule_FreeString(ctx, held);
  RedisModule_FreeString(ctx, copy_of);  // Hold returned either copy_of with one more ref, or a new string
  RedisModule_ReplyWithArray(ctx, 6);
  RedisModule_ReplyWithLongLong(ctx, static_cast<long long>(usable));
  RedisModule_ReplyWithLongLong(ctx, static_cast<long long>(msize));
  RedisModule_ReplyWithBool(ctx, zeroed);
  RedisModule_ReplyWithBool(ctx, kept && dup_ok);
  RedisModule_ReplyWithBool(ctx, try_ok);
  RedisModule_ReplyWithBool(ctx, strings_ok);
  return REDISMODULE_OK;
}

void info_func(RedisModuleInfoCtx* ctx, int for_crash_report) {
  RedisModule_InfoAddSection(ctx, "stats");
  RedisModule_InfoAddFieldLongLong(ctx, "aux_loads", g_stats.aux_load);
  RedisModule_InfoAddFieldULongLong(ctx, "big", 18446744073709551615ULL);
  RedisModule_InfoAddFieldDouble(ctx, "ratio", 0.5);
  RedisModule_InfoAddFieldCString(ctx, "aux", g_aux.value.c_str());
  RedisModuleString* s = RedisModule_CreateString(nullptr, "held", 4);
  RedisModule_InfoAddFieldString(ctx, "str", s);
  RedisModule_FreeString(nullptr, s);
}

// SMOKE.CONTAINER ECHO x: a subcommand under a handler-less container command.
int cmd_container_echo(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 3) return RedisModule_WrongArity(ctx);
  return RedisModule_ReplyWithString(ctx, argv[2]);
}

struct CommandSpec {
  const char* name;
  RedisModuleCmdFunc func;
  const char* flags;
  int first, last, step;
};

}  // namespace

RECO_MODULE_EXPORT int RedisModule_OnLoad(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (RecoModule_Init(ctx, "smoke", 1, REDISMODULE_APIVER_1) != REDISMODULE_OK) return REDISMODULE_ERR;

  bool v4 = false;
  long long methods_version = REDISMODULE_TYPE_METHOD_VERSION;
  for (int i = 0; i < argc; ++i) {
    std::string arg = to_std(argv[i]);
    if (arg == "v4") {
      v4 = true;
    } else if (arg == "methods-version" && i + 1 < argc &&
               RedisModule_StringToLongLong(argv[i + 1], &methods_version) == REDISMODULE_OK) {
      ++i;
    } else {
      RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "smoke: bad module argument '%s'", arg.c_str());
      return REDISMODULE_ERR;
    }
  }

  RedisModuleTypeMethods tm{};
  tm.version = static_cast<uint64_t>(methods_version);
  tm.rdb_load = rdb_load;
  tm.rdb_save = rdb_save;
  tm.aof_rewrite = aof_rewrite;
  tm.digest = digest;
  tm.free = free_value;
  tm.aux_load = aux_load;
  tm.aux_save = aux_save;
  tm.aux_save_triggers = REDISMODULE_AUX_BEFORE_RDB;
  if (v4) {
    tm.mem_usage2 = mem_usage2;
    tm.free_effort2 = free_effort2;
    tm.unlink2 = unlink2;
    tm.copy2 = copy2;
  } else {
    tm.mem_usage = mem_usage;
    tm.free_effort = free_effort;
    tm.unlink = unlink_cb;
    tm.copy = copy;
  }
  g_type = RedisModule_CreateDataType(ctx, kTypeName, kEncodingVersion, &tm);
  if (!g_type) {
    RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "smoke: CreateDataType refused methods version %lld",
                    methods_version);
    return REDISMODULE_ERR;
  }
  RedisModule_SetModuleOptions(ctx, REDISMODULE_OPTIONS_HANDLE_IO_ERRORS);

  const CommandSpec commands[] = {
      {"smoke.set", cmd_set, "write deny-oom", 1, 1, 1},
      {"smoke.get", cmd_get, "readonly fast", 1, 1, 1},
      {"smoke.del", cmd_del, "write", 1, 1, 1},
      {"smoke.aux.set", cmd_aux_set, "write deny-oom", 0, 0, 0},
      {"smoke.aux.get", cmd_aux_get, "readonly fast", 0, 0, 0},
      {"smoke.stats", cmd_stats, "readonly", 0, 0, 0},
      {"smoke.env", cmd_env, "readonly", 0, 0, 0},
      {"smoke.num", cmd_num, "readonly fast", 0, 0, 0},
      {"smoke.empty", cmd_empty, "readonly fast", 0, 0, 0},
      {"smoke.call", cmd_call, "write", 0, 0, 0},
      {"smoke.pair", cmd_pair, "readonly getkeys-api", 1, -1, 2},
      {"smoke.sleep", cmd_sleep, "readonly", 0, 0, 0},
      {"smoke.alloc", cmd_alloc, "readonly", 0, 0, 0},
  };
  for (const auto& c : commands) {
    if (RedisModule_CreateCommand(ctx, c.name, c.func, c.flags, c.first, c.last, c.step) != REDISMODULE_OK)
      return REDISMODULE_ERR;
  }
  if (RedisModule_CreateCommand(ctx, "smoke.container", nullptr, "", 0, 0, 0) != REDISMODULE_OK)
    return REDISMODULE_ERR;
  RedisModuleCommand* container = RedisModule_GetCommand(ctx, "smoke.container");
  if (container == nullptr ||
      RedisModule_CreateSubcommand(container, "echo", cmd_container_echo, "readonly fast", 0, 0, 0) != REDISMODULE_OK)
    return REDISMODULE_ERR;
  if (RedisModule_RegisterInfoFunc(ctx, info_func) != REDISMODULE_OK) return REDISMODULE_ERR;
  RedisModule_SubscribeToServerEvent(ctx, RedisModuleEvent{REDISMODULE_EVENT_FLUSHDB, 1}, on_flush);
  RedisModule_SubscribeToServerEvent(ctx, RedisModuleEvent{REDISMODULE_EVENT_LOADING, 1}, on_loading);

  RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_NOTICE, "smoke: loaded, type methods version %d, %s callbacks",
                  RedisModule_GetTypeMethodVersion(), v4 ? "v4" : "v1/v3");
  return REDISMODULE_OK;
}
