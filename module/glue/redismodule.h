// The project's own declarations of the Redis module ABI, limited to what the glue uses
// and checked against redis-server 7.0.15 (the build ships no redismodule.h).
//
// Why it is shaped so:
// - Redis hands a module no symbols to link against: every API function is a pointer
//   that the module fetches by name ("RedisModule_Xxx") through RedisModule_GetApi,
//   which is the first pointer inside the context passed to RedisModule_OnLoad.
//   RecoModule_Init (redismodule_api.cpp) does that fetch for every entry below.
// - The API is listed once, in RECO_REDIS_MODULE_API, so the declaration, the
//   definition and the by-name fetch cannot drift apart.
// - Only functions that exist in 7.0 are listed; a missing name fails the load cleanly
//   instead of crashing on first call. Values and layouts are ABI facts: a wrong
//   RedisModuleTypeMethods layout crashes redis-server, hence the static_asserts and
//   the runtime checks in tests/integration/abi_smoke_test.cpp.
#ifndef RECO_GLUE_REDISMODULE_H
#define RECO_GLUE_REDISMODULE_H

#include <cstddef>
#include <cstdint>

// ---- Status and versions ---------------------------------------------------------------
#define REDISMODULE_OK 0
#define REDISMODULE_ERR 1
#define REDISMODULE_APIVER_1 1
// Newest RedisModuleTypeMethods layout 7.0 knows (7.2 adds aux_save2 as version 5).
// 7.0 rejects only version 0 and ignores fields beyond the version it was given.
#define REDISMODULE_TYPE_METHOD_VERSION 4

// ---- OpenKey modes ----------------------------------------------------------------------
#define REDISMODULE_READ (1 << 0)
#define REDISMODULE_WRITE (1 << 1)
#define REDISMODULE_OPEN_KEY_NOTOUCH (1 << 16)

// ---- KeyType results -------------------------------------------------------------------
#define REDISMODULE_KEYTYPE_EMPTY 0
#define REDISMODULE_KEYTYPE_STRING 1
#define REDISMODULE_KEYTYPE_LIST 2
#define REDISMODULE_KEYTYPE_HASH 3
#define REDISMODULE_KEYTYPE_SET 4
#define REDISMODULE_KEYTYPE_ZSET 5
#define REDISMODULE_KEYTYPE_MODULE 6
#define REDISMODULE_KEYTYPE_STREAM 7

// ---- CallReplyType results ------------------------------------------------------------
#define REDISMODULE_REPLY_UNKNOWN -1
#define REDISMODULE_REPLY_STRING 0
#define REDISMODULE_REPLY_ERROR 1
#define REDISMODULE_REPLY_INTEGER 2
#define REDISMODULE_REPLY_ARRAY 3
#define REDISMODULE_REPLY_NULL 4
#define REDISMODULE_REPLY_MAP 5
#define REDISMODULE_REPLY_SET 6
#define REDISMODULE_REPLY_BOOL 7
#define REDISMODULE_REPLY_DOUBLE 8
#define REDISMODULE_REPLY_BIG_NUMBER 9
#define REDISMODULE_REPLY_VERBATIM_STRING 10
#define REDISMODULE_REPLY_ATTRIBUTE 11

// Length of an array/map reply whose size is only known once its elements are sent.
#define REDISMODULE_POSTPONED_ARRAY_LEN -1
#define REDISMODULE_POSTPONED_LEN -1

// ---- Module data types: when aux_save runs, module options ------------------------------
#define REDISMODULE_AUX_BEFORE_RDB (1 << 0)
#define REDISMODULE_AUX_AFTER_RDB (1 << 1)

// RedisModule_Yield (7.0): CLIENTS also serves clients (LOADING / BUSY replies), not only
// background events.
#define REDISMODULE_YIELD_FLAG_NONE (1 << 0)
#define REDISMODULE_YIELD_FLAG_CLIENTS (1 << 1)
#define REDISMODULE_OPTIONS_HANDLE_IO_ERRORS (1 << 0)
#define REDISMODULE_OPTION_NO_IMPLICIT_SIGNAL_MODIFIED (1 << 1)
#define REDISMODULE_OPTIONS_HANDLE_REPL_ASYNC_LOAD (1 << 2)

// ---- GetContextFlags bits (7.0 defines bits 0..23; GetContextFlagsAll() == (1<<24)-1) ---
#define REDISMODULE_CTX_FLAGS_LUA (1 << 0)
#define REDISMODULE_CTX_FLAGS_MULTI (1 << 1)
#define REDISMODULE_CTX_FLAGS_MASTER (1 << 2)
#define REDISMODULE_CTX_FLAGS_SLAVE (1 << 3)
#define REDISMODULE_CTX_FLAGS_READONLY (1 << 4)
#define REDISMODULE_CTX_FLAGS_CLUSTER (1 << 5)
#define REDISMODULE_CTX_FLAGS_AOF (1 << 6)
#define REDISMODULE_CTX_FLAGS_RDB (1 << 7)
#define REDISMODULE_CTX_FLAGS_MAXMEMORY (1 << 8)
#define REDISMODULE_CTX_FLAGS_EVICT (1 << 9)
#define REDISMODULE_CTX_FLAGS_OOM (1 << 10)
#define REDISMODULE_CTX_FLAGS_OOM_WARNING (1 << 11)
#define REDISMODULE_CTX_FLAGS_REPLICATED (1 << 12)
#define REDISMODULE_CTX_FLAGS_LOADING (1 << 13)
#define REDISMODULE_CTX_FLAGS_REPLICA_IS_STALE (1 << 14)
#define REDISMODULE_CTX_FLAGS_REPLICA_IS_CONNECTING (1 << 15)
#define REDISMODULE_CTX_FLAGS_REPLICA_IS_TRANSFERRING (1 << 16)
#define REDISMODULE_CTX_FLAGS_REPLICA_IS_ONLINE (1 << 17)
#define REDISMODULE_CTX_FLAGS_ACTIVE_CHILD (1 << 18)
#define REDISMODULE_CTX_FLAGS_MULTI_DIRTY (1 << 19)
#define REDISMODULE_CTX_FLAGS_IS_CHILD (1 << 20)
#define REDISMODULE_CTX_FLAGS_DENY_BLOCKING (1 << 21)
#define REDISMODULE_CTX_FLAGS_RESP3 (1 << 22)
#define REDISMODULE_CTX_FLAGS_ASYNC_LOADING (1 << 23)

// ---- Keyspace notification classes ------------------------------------------------------
#define REDISMODULE_CONFIG_DEFAULT 0
#define REDISMODULE_CONFIG_IMMUTABLE (1 << 0)

#define REDISMODULE_NOTIFY_GENERIC (1 << 2)
#define REDISMODULE_NOTIFY_MODULE (1 << 13)

// ---- Server events (SubscribeToServerEvent) ---------------------------------------------
#define REDISMODULE_EVENT_FLUSHDB 2
#define REDISMODULE_EVENT_LOADING 3
#define REDISMODULE_EVENT_CONFIG 16  // 7.0: CONFIG SET (and module configs) changed values
#define REDISMODULE_SUBEVENT_FLUSHDB_START 0
#define REDISMODULE_SUBEVENT_FLUSHDB_END 1
#define REDISMODULE_SUBEVENT_LOADING_RDB_START 0
#define REDISMODULE_SUBEVENT_LOADING_AOF_START 1
#define REDISMODULE_SUBEVENT_LOADING_REPL_START 2
#define REDISMODULE_SUBEVENT_LOADING_ENDED 3
#define REDISMODULE_SUBEVENT_LOADING_FAILED 4
#define REDISMODULE_FLUSHINFO_VERSION 1
#define REDISMODULE_SUBEVENT_CONFIG_CHANGE 0

// ---- Log levels and the canonical wrong-type error ---------------------------------------
#define REDISMODULE_LOGLEVEL_DEBUG "debug"
#define REDISMODULE_LOGLEVEL_VERBOSE "verbose"
#define REDISMODULE_LOGLEVEL_NOTICE "notice"
#define REDISMODULE_LOGLEVEL_WARNING "warning"
#define REDISMODULE_ERRORMSG_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

// ---- Opaque handles (only ever used through pointers the server hands out) ---------------
struct RedisModuleCtx;
struct RedisModuleString;
struct RedisModuleKey;
struct RedisModuleIO;
struct RedisModuleType;
struct RedisModuleDigest;
struct RedisModuleInfoCtx;
struct RedisModuleCommand;
struct RedisModuleCallReply;
struct RedisModuleBlockedClient;
struct RedisModuleDefragCtx;
struct RedisModuleKeyOptCtx;

// Passed by value to SubscribeToServerEvent; `dataver` is the version of the event payload.
struct RedisModuleEvent {
  uint64_t id;
  uint64_t dataver;
};
// Payload of REDISMODULE_EVENT_FLUSHDB (dbnum == -1 for FLUSHALL).
struct RedisModuleFlushInfo {
  uint64_t version;
  int32_t sync;
  int32_t dbnum;
};

// Payload of REDISMODULE_EVENT_CONFIG (version 1): the names of the configs that changed.
struct RedisModuleConfigChange {
  uint64_t version;
  uint32_t num_changes;
  const char** config_names;
};

// ---- Callbacks ----------------------------------------------------------------------------
typedef int (*RedisModuleCmdFunc)(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
typedef void (*RedisModuleInfoFunc)(RedisModuleInfoCtx* ctx, int for_crash_report);
typedef void (*RedisModuleEventCallback)(RedisModuleCtx* ctx, RedisModuleEvent eid, uint64_t subevent,
                                         void* data);
typedef void (*RedisModuleBlockedFreeFunc)(RedisModuleCtx* ctx, void* privdata);
// Module configs (Redis 7.0): CONFIG GET/SET <module>.<name>, redis.conf, MODULE LOADEX.
typedef long long (*RedisModuleConfigGetNumericFunc)(const char* name, void* privdata);
typedef int (*RedisModuleConfigSetNumericFunc)(const char* name, long long val, void* privdata,
                                               RedisModuleString** err);
typedef int (*RedisModuleConfigApplyFunc)(RedisModuleCtx* ctx, void* privdata, RedisModuleString** err);

typedef void* (*RedisModuleTypeLoadFunc)(RedisModuleIO* rdb, int encver);
typedef void (*RedisModuleTypeSaveFunc)(RedisModuleIO* rdb, void* value);
typedef int (*RedisModuleTypeAuxLoadFunc)(RedisModuleIO* rdb, int encver, int when);
typedef void (*RedisModuleTypeAuxSaveFunc)(RedisModuleIO* rdb, int when);
typedef void (*RedisModuleTypeRewriteFunc)(RedisModuleIO* aof, RedisModuleString* key, void* value);
typedef size_t (*RedisModuleTypeMemUsageFunc)(const void* value);
typedef void (*RedisModuleTypeDigestFunc)(RedisModuleDigest* digest, void* value);
typedef void (*RedisModuleTypeFreeFunc)(void* value);
typedef size_t (*RedisModuleTypeFreeEffortFunc)(RedisModuleString* key, const void* value);
typedef void (*RedisModuleTypeUnlinkFunc)(RedisModuleString* key, const void* value);
typedef void* (*RedisModuleTypeCopyFunc)(RedisModuleString* fromkey, RedisModuleString* tokey,
                                         const void* value);
typedef int (*RedisModuleTypeDefragFunc)(RedisModuleDefragCtx* ctx, RedisModuleString* key, void** value);
typedef size_t (*RedisModuleTypeMemUsageFunc2)(RedisModuleKeyOptCtx* ctx, const void* value,
                                               size_t sample_size);
typedef size_t (*RedisModuleTypeFreeEffortFunc2)(RedisModuleKeyOptCtx* ctx, const void* value);
typedef void (*RedisModuleTypeUnlinkFunc2)(RedisModuleKeyOptCtx* ctx, const void* value);
typedef void* (*RedisModuleTypeCopyFunc2)(RedisModuleKeyOptCtx* ctx, const void* value);

// The 7.0 layout (version 4). Fields are grouped by the version that introduced them;
// when both a v1/v3 callback and its v4 "2" twin are set, the server calls the twin.
struct RedisModuleTypeMethods {
  uint64_t version;
  // version 1
  RedisModuleTypeLoadFunc rdb_load;
  RedisModuleTypeSaveFunc rdb_save;
  RedisModuleTypeRewriteFunc aof_rewrite;
  RedisModuleTypeMemUsageFunc mem_usage;
  RedisModuleTypeDigestFunc digest;
  RedisModuleTypeFreeFunc free;
  // version 2
  RedisModuleTypeAuxLoadFunc aux_load;
  RedisModuleTypeAuxSaveFunc aux_save;
  int aux_save_triggers;
  // version 3
  RedisModuleTypeFreeEffortFunc free_effort;
  RedisModuleTypeUnlinkFunc unlink;
  RedisModuleTypeCopyFunc copy;
  RedisModuleTypeDefragFunc defrag;
  // version 4
  RedisModuleTypeMemUsageFunc2 mem_usage2;
  RedisModuleTypeFreeEffortFunc2 free_effort2;
  RedisModuleTypeUnlinkFunc2 unlink2;
  RedisModuleTypeCopyFunc2 copy2;
};

#if defined(__x86_64__) || defined(__aarch64__)
static_assert(offsetof(RedisModuleTypeMethods, rdb_load) == 8);
static_assert(offsetof(RedisModuleTypeMethods, free) == 48);
static_assert(offsetof(RedisModuleTypeMethods, aux_save_triggers) == 72);
static_assert(offsetof(RedisModuleTypeMethods, free_effort) == 80);
static_assert(offsetof(RedisModuleTypeMethods, defrag) == 104);
static_assert(offsetof(RedisModuleTypeMethods, mem_usage2) == 112);
static_assert(offsetof(RedisModuleTypeMethods, copy2) == 136);
static_assert(sizeof(RedisModuleTypeMethods) == 144);
static_assert(sizeof(RedisModuleEvent) == 16 && sizeof(RedisModuleFlushInfo) == 16);
static_assert(sizeof(RedisModuleConfigChange) == 24);
#endif

// ---- Command metadata (SetCommandInfo, 7.0; version 1 of RedisModuleCommandInfo) ---------
// The server walks the arrays with the sizes given in RedisModuleCommandInfoVersion and reads
// only the fields it knows, so the arg struct may carry 7.2's display_text at its end.
enum RedisModuleCommandArgType {
  REDISMODULE_ARG_TYPE_STRING,
  REDISMODULE_ARG_TYPE_INTEGER,
  REDISMODULE_ARG_TYPE_DOUBLE,
  REDISMODULE_ARG_TYPE_KEY,
  REDISMODULE_ARG_TYPE_PATTERN,
  REDISMODULE_ARG_TYPE_UNIX_TIME,
  REDISMODULE_ARG_TYPE_PURE_TOKEN,
  REDISMODULE_ARG_TYPE_ONEOF,  // needs subargs
  REDISMODULE_ARG_TYPE_BLOCK   // needs subargs
};
#define REDISMODULE_CMD_ARG_NONE 0
#define REDISMODULE_CMD_ARG_OPTIONAL (1 << 0)
#define REDISMODULE_CMD_ARG_MULTIPLE (1 << 1)
#define REDISMODULE_CMD_ARG_MULTIPLE_TOKEN (1 << 2)

enum RedisModuleKeySpecBeginSearchType {
  REDISMODULE_KSPEC_BS_INVALID = 0,
  REDISMODULE_KSPEC_BS_UNKNOWN,
  REDISMODULE_KSPEC_BS_INDEX,
  REDISMODULE_KSPEC_BS_KEYWORD
};
enum RedisModuleKeySpecFindKeysType {
  REDISMODULE_KSPEC_FK_OMITTED = 0,
  REDISMODULE_KSPEC_FK_UNKNOWN,
  REDISMODULE_KSPEC_FK_RANGE,
  REDISMODULE_KSPEC_FK_KEYNUM
};
#define REDISMODULE_CMD_KEY_RO (1ULL << 0)
#define REDISMODULE_CMD_KEY_RW (1ULL << 1)
#define REDISMODULE_CMD_KEY_OW (1ULL << 2)
#define REDISMODULE_CMD_KEY_RM (1ULL << 3)
#define REDISMODULE_CMD_KEY_ACCESS (1ULL << 4)
#define REDISMODULE_CMD_KEY_UPDATE (1ULL << 5)
#define REDISMODULE_CMD_KEY_INSERT (1ULL << 6)
#define REDISMODULE_CMD_KEY_DELETE (1ULL << 7)
#define REDISMODULE_CMD_KEY_NOT_KEY (1ULL << 8)
#define REDISMODULE_CMD_KEY_INCOMPLETE (1ULL << 9)
#define REDISMODULE_CMD_KEY_VARIABLE_FLAGS (1ULL << 10)

struct RedisModuleCommandArg {
  const char* name;
  RedisModuleCommandArgType type;
  int key_spec_index;  // -1 unless type is KEY
  const char* token;
  const char* summary;
  const char* since;
  int flags;  // REDISMODULE_CMD_ARG_*
  const char* deprecated_since;
  RedisModuleCommandArg* subargs;
  const char* display_text;  // 7.2; 7.0 does not read it
};
struct RedisModuleCommandHistoryEntry {
  const char* since;
  const char* changes;
};
struct RedisModuleCommandKeySpec {
  const char* notes;
  uint64_t flags;  // REDISMODULE_CMD_KEY_*
  RedisModuleKeySpecBeginSearchType begin_search_type;
  union {
    struct {
      int pos;
    } index;
    struct {
      const char* keyword;
      int startfrom;
    } keyword;
  } bs;
  RedisModuleKeySpecFindKeysType find_keys_type;
  union {
    struct {
      int lastkey;
      int keystep;
      int limit;
    } range;
    struct {
      int keynumidx;
      int firstkey;
      int keystep;
    } keynum;
  } fk;
};
struct RedisModuleCommandInfoVersion {
  int version;
  size_t sizeof_historyentry;
  size_t sizeof_keyspec;
  size_t sizeof_arg;
};
#define REDISMODULE_COMMAND_INFO_VERSION_1 1
struct RedisModuleCommandInfo {
  const RedisModuleCommandInfoVersion* version;
  const char* summary;
  const char* complexity;
  const char* since;
  RedisModuleCommandHistoryEntry* history;
  const char* tips;
  int arity;
  RedisModuleCommandKeySpec* key_specs;
  RedisModuleCommandArg* args;
};

#if defined(__x86_64__) || defined(__aarch64__)
static_assert(offsetof(RedisModuleCommandArg, flags) == 40);
static_assert(offsetof(RedisModuleCommandArg, subargs) == 56);
static_assert(sizeof(RedisModuleCommandArg) == 72);
static_assert(offsetof(RedisModuleCommandKeySpec, begin_search_type) == 16);
static_assert(offsetof(RedisModuleCommandKeySpec, bs) == 24);
static_assert(offsetof(RedisModuleCommandKeySpec, find_keys_type) == 40);
static_assert(offsetof(RedisModuleCommandKeySpec, fk) == 44);
static_assert(sizeof(RedisModuleCommandKeySpec) == 56);
static_assert(offsetof(RedisModuleCommandInfo, arity) == 48);
static_assert(sizeof(RedisModuleCommandInfo) == 72);
#endif

struct RedisModuleUser;
// RedisModuleACLLogEntryReason (an enum in 7.0's header; passed as an int).
#define REDISMODULE_ACL_LOG_AUTH 0
#define REDISMODULE_ACL_LOG_CMD 1
#define REDISMODULE_ACL_LOG_KEY 2
#define REDISMODULE_ACL_LOG_CHANNEL 3

#define RECO_PRINTF_LIKE(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))

// ---- The API: X(return type, name without "RedisModule_", parameter list) ----------------
// Format strings of EmitAOF, Replicate and Call are Redis's own mini-language
// ("s" RedisModuleString*, "b" buffer + size_t, "c" C string, "l" long long, "v" array).
#define RECO_REDIS_MODULE_API(X)                                                                    \
  /* memory: counted in INFO and against maxmemory */                                             \
  X(void*, Alloc, (size_t bytes))                                                                  \
  X(void*, TryAlloc, (size_t bytes))                                                               \
  X(float, GetUsedMemoryRatio, (void))                                                             \
  X(void*, Calloc, (size_t nmemb, size_t size))                                                    \
  X(void*, Realloc, (void* ptr, size_t bytes))                                                     \
  X(void, Free, (void* ptr))                                                                       \
  X(char*, Strdup, (const char* str))                                                              \
  X(size_t, MallocSize, (void* ptr))                                                               \
  X(size_t, MallocUsableSize, (void* ptr))                                                         \
  X(size_t, MallocSizeString, (RedisModuleString * str))                                           \
  /* module and commands */                                                                       \
  X(void, SetModuleAttribs, (RedisModuleCtx * ctx, const char* name, int ver, int apiver))        \
  X(int, IsModuleNameBusy, (const char* name))                                                     \
  X(void, SetModuleOptions, (RedisModuleCtx * ctx, int options))                                   \
  X(int, CreateCommand,                                                                            \
    (RedisModuleCtx * ctx, const char* name, RedisModuleCmdFunc cmdfunc, const char* strflags,     \
     int firstkey, int lastkey, int keystep))                                                      \
  X(RedisModuleCommand*, GetCommand, (RedisModuleCtx * ctx, const char* name))                     \
  X(int, CreateSubcommand,                                                                         \
    (RedisModuleCommand * parent, const char* name, RedisModuleCmdFunc cmdfunc,                    \
     const char* strflags, int firstkey, int lastkey, int keystep))                                \
  X(int, WrongArity, (RedisModuleCtx * ctx))                                                       \
  X(int, IsKeysPositionRequest, (RedisModuleCtx * ctx))                                            \
  X(void, KeyAtPos, (RedisModuleCtx * ctx, int pos))                                               \
  X(void, AutoMemory, (RedisModuleCtx * ctx))                                                      \
  /* replies */                                                                                   \
  X(int, ReplyWithLongLong, (RedisModuleCtx * ctx, long long ll))                                  \
  X(int, ReplyWithError, (RedisModuleCtx * ctx, const char* err))                                  \
  X(int, ReplyWithSimpleString, (RedisModuleCtx * ctx, const char* msg))                           \
  X(int, ReplyWithArray, (RedisModuleCtx * ctx, long len))                                         \
  X(void, ReplySetArrayLength, (RedisModuleCtx * ctx, long len))                                   \
  X(int, ReplyWithMap, (RedisModuleCtx * ctx, long len))                                           \
  X(void, ReplySetMapLength, (RedisModuleCtx * ctx, long len))                                     \
  X(int, ReplyWithEmptyArray, (RedisModuleCtx * ctx))                                              \
  X(int, ReplyWithNullArray, (RedisModuleCtx * ctx))                                               \
  X(int, ReplyWithStringBuffer, (RedisModuleCtx * ctx, const char* buf, size_t len))               \
  X(int, ReplyWithCString, (RedisModuleCtx * ctx, const char* buf))                                \
  X(int, ReplyWithString, (RedisModuleCtx * ctx, RedisModuleString * str))                         \
  X(int, ReplyWithEmptyString, (RedisModuleCtx * ctx))                                             \
  X(int, ReplyWithNull, (RedisModuleCtx * ctx))                                                    \
  X(int, ReplyWithDouble, (RedisModuleCtx * ctx, double d))                                        \
  X(int, ReplyWithBool, (RedisModuleCtx * ctx, int b))                                             \
  /* strings */                                                                                   \
  X(const char*, StringPtrLen, (const RedisModuleString* str, size_t* len))                        \
  X(int, StringToLongLong, (const RedisModuleString* str, long long* ll))                          \
  X(int, StringToULongLong, (const RedisModuleString* str, unsigned long long* ull))               \
  X(int, StringToDouble, (const RedisModuleString* str, double* d))                                \
  X(int, StringCompare, (RedisModuleString * a, RedisModuleString * b))                            \
  X(RedisModuleString*, CreateString, (RedisModuleCtx * ctx, const char* ptr, size_t len))         \
  X(RedisModuleString*, CreateStringPrintf, (RedisModuleCtx * ctx, const char* fmt, ...)           \
                                                RECO_PRINTF_LIKE(2, 3))                            \
  X(RedisModuleString*, CreateStringFromLongLong, (RedisModuleCtx * ctx, long long ll))            \
  X(RedisModuleString*, CreateStringFromDouble, (RedisModuleCtx * ctx, double d))                  \
  X(RedisModuleString*, CreateStringFromString, (RedisModuleCtx * ctx, const RedisModuleString* str)) \
  X(void, FreeString, (RedisModuleCtx * ctx, RedisModuleString * str))                             \
  X(void, RetainString, (RedisModuleCtx * ctx, RedisModuleString * str))                           \
  X(RedisModuleString*, HoldString, (RedisModuleCtx * ctx, RedisModuleString * str))               \
  /* keys and databases */                                                                        \
  X(RedisModuleKey*, OpenKey, (RedisModuleCtx * ctx, RedisModuleString * keyname, int mode))      \
  X(void, CloseKey, (RedisModuleKey * key))                                                        \
  X(int, KeyType, (RedisModuleKey * key))                                                          \
  X(int, KeyExists, (RedisModuleCtx * ctx, RedisModuleString * keyname))                           \
  X(int, DeleteKey, (RedisModuleKey * key))                                                        \
  X(size_t, ValueLength, (RedisModuleKey * key))                                                   \
  X(int, SignalModifiedKey, (RedisModuleCtx * ctx, RedisModuleString * keyname))                   \
  X(int, GetSelectedDb, (RedisModuleCtx * ctx))                                                    \
  X(int, SelectDb, (RedisModuleCtx * ctx, int newid))                                              \
  /* module data types */                                                                         \
  X(RedisModuleType*, CreateDataType,                                                              \
    (RedisModuleCtx * ctx, const char* name, int encver, RedisModuleTypeMethods* typemethods))     \
  X(int, GetTypeMethodVersion, (void))                                                             \
  X(RedisModuleType*, ModuleTypeGetType, (RedisModuleKey * key))                                   \
  X(void*, ModuleTypeGetValue, (RedisModuleKey * key))                                             \
  X(int, ModuleTypeSetValue, (RedisModuleKey * key, RedisModuleType * mt, void* value))            \
  X(int, ModuleTypeReplaceValue,                                                                   \
    (RedisModuleKey * key, RedisModuleType * mt, void* new_value, void** old_value))               \
  X(const RedisModuleString*, GetKeyNameFromOptCtx, (RedisModuleKeyOptCtx * ctx))                 \
  X(const RedisModuleString*, GetToKeyNameFromOptCtx, (RedisModuleKeyOptCtx * ctx))               \
  X(int, GetDbIdFromOptCtx, (RedisModuleKeyOptCtx * ctx))                                          \
  X(int, GetToDbIdFromOptCtx, (RedisModuleKeyOptCtx * ctx))                                        \
  /* RDB / AOF serialization */                                                                   \
  X(void, SaveUnsigned, (RedisModuleIO * io, uint64_t value))                                      \
  X(uint64_t, LoadUnsigned, (RedisModuleIO * io))                                                  \
  X(void, SaveSigned, (RedisModuleIO * io, int64_t value))                                         \
  X(int64_t, LoadSigned, (RedisModuleIO * io))                                                     \
  X(void, SaveString, (RedisModuleIO * io, RedisModuleString * s))                                 \
  X(void, SaveStringBuffer, (RedisModuleIO * io, const char* str, size_t len))                     \
  X(RedisModuleString*, LoadString, (RedisModuleIO * io))                                          \
  X(char*, LoadStringBuffer, (RedisModuleIO * io, size_t * lenptr))                                \
  X(void, SaveDouble, (RedisModuleIO * io, double value))                                          \
  X(double, LoadDouble, (RedisModuleIO * io))                                                      \
  X(void, SaveFloat, (RedisModuleIO * io, float value))                                            \
  X(float, LoadFloat, (RedisModuleIO * io))                                                        \
  X(int, IsIOError, (RedisModuleIO * io))                                                          \
  X(RedisModuleCtx*, GetContextFromIO, (RedisModuleIO * io))                                       \
  X(void, Yield, (RedisModuleCtx * ctx, int flags, const char* busy_reply))                        \
  X(const RedisModuleString*, GetKeyNameFromIO, (RedisModuleIO * io))                              \
  X(int, GetDbIdFromIO, (RedisModuleIO * io))                                                      \
  X(void, EmitAOF, (RedisModuleIO * io, const char* cmdname, const char* fmt, ...))                \
  X(void, DigestAddStringBuffer, (RedisModuleDigest * md, const char* ele, size_t len))            \
  X(void, DigestAddLongLong, (RedisModuleDigest * md, long long ele))                              \
  X(void, DigestEndSequence, (RedisModuleDigest * md))                                             \
  /* logging */                                                                                   \
  X(void, Log, (RedisModuleCtx * ctx, const char* level, const char* fmt, ...) RECO_PRINTF_LIKE(3, 4)) \
  X(void, LogIOError, (RedisModuleIO * io, const char* level, const char* fmt, ...)                \
                         RECO_PRINTF_LIKE(3, 4))                                                   \
  /* replication, notifications, server events */                                                \
  X(int, ReplicateVerbatim, (RedisModuleCtx * ctx))                                                \
  X(int, Replicate, (RedisModuleCtx * ctx, const char* cmdname, const char* fmt, ...))            \
  X(int, NotifyKeyspaceEvent,                                                                      \
    (RedisModuleCtx * ctx, int type, const char* event, RedisModuleString* key))                   \
  X(int, SubscribeToServerEvent,                                                                   \
    (RedisModuleCtx * ctx, RedisModuleEvent event, RedisModuleEventCallback callback))             \
  /* INFO */                                                                                      \
  X(int, RegisterInfoFunc, (RedisModuleCtx * ctx, RedisModuleInfoFunc cb))                         \
  X(int, InfoAddSection, (RedisModuleInfoCtx * ctx, const char* name))                             \
  X(int, InfoAddFieldString, (RedisModuleInfoCtx * ctx, const char* field, RedisModuleString* value)) \
  X(int, InfoAddFieldCString, (RedisModuleInfoCtx * ctx, const char* field, const char* value))   \
  X(int, InfoAddFieldDouble, (RedisModuleInfoCtx * ctx, const char* field, double value))          \
  X(int, InfoAddFieldLongLong, (RedisModuleInfoCtx * ctx, const char* field, long long value))     \
  X(int, InfoAddFieldULongLong, (RedisModuleInfoCtx * ctx, const char* field, unsigned long long value)) \
  X(int, InfoBeginDictField, (RedisModuleInfoCtx * ctx, const char* name))                         \
  X(int, InfoEndDictField, (RedisModuleInfoCtx * ctx))                                             \
  X(void, LatencyAddSample, (const char* event, long long latency_ms))                             \
  /* context and time */                                                                          \
  X(int, GetContextFlags, (RedisModuleCtx * ctx))                                                  \
  X(int, GetContextFlagsAll, (void))                                                               \
  X(unsigned long long, GetClientId, (RedisModuleCtx * ctx))                                       \
  X(int, GetServerVersion, (void))                                                                 \
  X(long long, Milliseconds, (void))                                                               \
  X(uint64_t, MonotonicMicroseconds, (void))                                                       \
  /* calling commands */                                                                          \
  X(RedisModuleCallReply*, Call, (RedisModuleCtx * ctx, const char* cmdname, const char* fmt, ...)) \
  X(int, CallReplyType, (RedisModuleCallReply * reply))                                            \
  X(size_t, CallReplyLength, (RedisModuleCallReply * reply))                                       \
  X(long long, CallReplyInteger, (RedisModuleCallReply * reply))                                   \
  X(const char*, CallReplyStringPtr, (RedisModuleCallReply * reply, size_t * len))                 \
  X(RedisModuleCallReply*, CallReplyArrayElement, (RedisModuleCallReply * reply, size_t idx))      \
  X(void, FreeCallReply, (RedisModuleCallReply * reply))                                           \
  /* blocking a client while a thread works */                                                    \
  X(RedisModuleBlockedClient*, BlockClient,                                                        \
    (RedisModuleCtx * ctx, RedisModuleCmdFunc reply_callback, RedisModuleCmdFunc timeout_callback, \
     RedisModuleBlockedFreeFunc free_privdata, long long timeout_ms))                              \
  X(int, UnblockClient, (RedisModuleBlockedClient * bc, void* privdata))                           \
  X(int, AbortBlock, (RedisModuleBlockedClient * bc))                                              \
  X(int, BlockedClientDisconnected, (RedisModuleCtx * ctx))                                        \
  /* module configs (7.0) */                                                                      \
  X(int, RegisterNumericConfig,                                                                    \
    (RedisModuleCtx * ctx, const char* name, long long default_val, unsigned int flags,            \
     long long min, long long max, RedisModuleConfigGetNumericFunc getfn,                          \
     RedisModuleConfigSetNumericFunc setfn, RedisModuleConfigApplyFunc applyfn, void* privdata))   \
  X(int, LoadConfigs, (RedisModuleCtx * ctx))                                                      \
  /* command metadata and ACL checks (7.0) */                                                     \
  X(int, SetCommandInfo, (RedisModuleCommand * command, const RedisModuleCommandInfo* info))       \
  X(RedisModuleString*, GetCurrentUserName, (RedisModuleCtx * ctx))                                \
  X(RedisModuleUser*, GetModuleUserFromUserName, (RedisModuleString * name))                       \
  X(int, ACLCheckCommandPermissions, (RedisModuleUser * user, RedisModuleString** argv, int argc)) \
  X(int, ACLCheckKeyPermissions, (RedisModuleUser * user, RedisModuleString * key, int flags))     \
  X(void, ACLAddLogEntry,                                                                          \
    (RedisModuleCtx * ctx, RedisModuleUser * user, RedisModuleString * object, int reason))        \
  X(int, FreeModuleUser, (RedisModuleUser * user))                                                 \
  X(void*, GetBlockedClientPrivateData, (RedisModuleCtx * ctx))

// Newer than 7.0: fetched when the server has them, left null otherwise (check before use).
#define RECO_REDIS_MODULE_OPTIONAL_API(X)                                                           \
  /* ACL categories of module commands (7.2) */                                                   \
  X(int, SetCommandACLCategories, (RedisModuleCommand * command, const char* aclflags))

#define RECO_DECLARE_REDIS_MODULE_API(ret, name, params) extern ret(*RedisModule_##name) params;
RECO_REDIS_MODULE_API(RECO_DECLARE_REDIS_MODULE_API)
RECO_REDIS_MODULE_OPTIONAL_API(RECO_DECLARE_REDIS_MODULE_API)
#undef RECO_DECLARE_REDIS_MODULE_API

// Fetches every pointer above (failing with REDISMODULE_ERR, and a log line per missing
// name, if the server lacks any), refuses a name already taken by another module, then
// registers the module. Call first thing in RedisModule_OnLoad.
int RecoModule_Init(RedisModuleCtx* ctx, const char* name, int ver, int apiver);

// The build hides every symbol; the server must still find RedisModule_OnLoad
// (and RedisModule_OnUnload if defined) with C linkage.
#define RECO_MODULE_EXPORT extern "C" __attribute__((visibility("default")))

#endif  // RECO_GLUE_REDISMODULE_H
