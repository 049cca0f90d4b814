// COMMAND DOCS / COMMAND INFO metadata of every RECO.* command (RedisModule_SetCommandInfo).
//
// Why it is shaped so: the tables are data, kept apart from the handlers so that one file
// shows the whole command surface as redis-cli and client libraries see it. Each entry gives
// summary, complexity, arity and every argument; commands that take a user key give a key
// spec whose flags say how the key is used (RO access for the queries, so `%R~user:*` is
// enough to run them). Catalog and model commands take no key (catalogs are node-level), so
// their ACL category is what guards them: on 7.2+ it is set here
// (SetCommandACLCategories); 7.0 cannot set one, so write_guard.cpp checks instead.
// `since` is the module version MODULE LIST reports.
#include "command.hpp"
#include "redismodule.h"
#include "write_guard.hpp"

namespace reco::glue {

namespace {

using Arg = RedisModuleCommandArg;
using KeySpec = RedisModuleCommandKeySpec;

constexpr const char* kSince = "1";

constexpr Arg arg(const char* name, RedisModuleCommandArgType type, int flags = 0,
                  const char* token = nullptr, Arg* subargs = nullptr, int key_spec = -1) {
  return Arg{name, type, key_spec, token, nullptr, nullptr, flags, nullptr, subargs, nullptr};
}
constexpr Arg str(const char* name, int flags = 0, const char* token = nullptr, const char* summary = nullptr) {
  Arg a = arg(name, REDISMODULE_ARG_TYPE_STRING, flags, token);
  a.summary = summary;
  return a;
}
constexpr Arg integer(const char* name, int flags = 0, const char* token = nullptr) {
  return arg(name, REDISMODULE_ARG_TYPE_INTEGER, flags, token);
}
constexpr Arg dbl(const char* name, int flags = 0, const char* token = nullptr) {
  return arg(name, REDISMODULE_ARG_TYPE_DOUBLE, flags, token);
}
constexpr Arg key(const char* name, int spec = 0) {
  return arg(name, REDISMODULE_ARG_TYPE_KEY, 0, nullptr, nullptr, spec);
}
constexpr Arg token(const char* name, const char* tok, int flags = REDISMODULE_CMD_ARG_OPTIONAL) {
  return arg(name, REDISMODULE_ARG_TYPE_PURE_TOKEN, flags, tok);
}
constexpr Arg oneof(const char* name, Arg* subargs, int flags = 0, const char* tok = nullptr) {
  return arg(name, REDISMODULE_ARG_TYPE_ONEOF, flags, tok, subargs);
}
constexpr Arg block(const char* name, Arg* subargs, int flags = 0, const char* tok = nullptr) {
  return arg(name, REDISMODULE_ARG_TYPE_BLOCK, flags, tok, subargs);
}
constexpr Arg kEnd{};
constexpr int kOpt = REDISMODULE_CMD_ARG_OPTIONAL;
constexpr int kMulti = REDISMODULE_CMD_ARG_MULTIPLE;

// One key at a fixed position.
constexpr KeySpec key_at(int pos, uint64_t flags) {
  KeySpec k{};
  k.flags = flags;
  k.begin_search_type = REDISMODULE_KSPEC_BS_INDEX;
  k.bs.index.pos = pos;
  k.find_keys_type = REDISMODULE_KSPEC_FK_RANGE;
  k.fk.range = {0, 1, 0};
  return k;
}
constexpr uint64_t kRead = REDISMODULE_CMD_KEY_RO | REDISMODULE_CMD_KEY_ACCESS;

// ---- shared argument groups ------------------------------------------------------------
// At most one level of sub-arguments: COMMAND DOCS nests each level two replies deeper, and
// common clients (hiredis) stop at depth 7. Counted lists are therefore `n` then the entries.
Arg g_values_sub[] = {integer("n"), dbl("value", kMulti), kEnd};
Arg g_terms_sub[] = {integer("n"), str("term", kMulti), kEnd};
Arg g_items_sub[] = {integer("n"), str("item", kMulti), kEnd};
Arg g_pairs_sub[] = {integer("n"), str("pair", kMulti, nullptr, "name value"), kEnd};
Arg g_pair_sub[] = {str("name"), str("value"), kEnd};
Arg g_weighted_terms_sub[] = {integer("n"), str("pair", kMulti, nullptr, "term weight"), kEnd};
Arg g_budget_sub[] = {str("source", 0, nullptr, "VECTOR, TERM, SESSION or POPULAR"), integer("n"), kEnd};
Arg g_weight_sub[] = {str("source", 0, nullptr, "VECTOR, TERM, SESSION or POPULAR"), dbl("weight"), kEnd};
Arg g_model_choice_sub[] = {str("version"), token("none", "NONE", 0), kEnd};
// A vector is FP32 <blob> or VALUES <n> v... (give one).
#define RECO_VECTOR_ARGS(flags) \
  str("blob", flags, "FP32", "little-endian float32 values"), block("values", g_values_sub, flags, "VALUES")

// ---- RECO.CATALOG.* --------------------------------------------------------------------
Arg g_metric_sub[] = {token("ip", "IP", 0), token("cosine", "COSINE", 0), token("l2", "L2", 0), kEnd};
Arg g_index_sub[] = {token("auto", "AUTO", 0), token("flat", "FLAT", 0), token("hnsw", "HNSW", 0), kEnd};
Arg g_quant_sub[] = {token("none", "NONE", 0), token("int8", "INT8", 0), kEnd};
Arg g_catalog_create[] = {
    str("catalog"),
    integer("dim", 0, "DIM"),
    oneof("metric", g_metric_sub, kOpt, "METRIC"),
    oneof("index", g_index_sub, kOpt, "INDEX"),
    integer("m", kOpt, "M"),
    integer("ef_construction", kOpt, "EF_CONSTRUCTION"),
    integer("ef_runtime", kOpt, "EF_RUNTIME"),
    integer("exact_below", kOpt, "EXACT_BELOW"),
    oneof("quant", g_quant_sub, kOpt, "QUANT"),
    token("keep_float", "KEEP_FLOAT"),
    str("bias_dim", kOpt, "BIAS_DIM", "LAST, NONE or a 0-based dimension"),
    kEnd};
Arg g_catalog_only[] = {str("catalog"), kEnd};
Arg g_catalog_dump[] = {str("catalog"), integer("part"), kEnd};
Arg g_catalog_restore[] = {str("catalog"), integer("part"), integer("parts"),
                           str("bytes", 0, nullptr, "the part as RECO.CATALOG.DUMP gave it"),
                           token("replace", "REPLACE"), kEnd};
Arg g_config_get[] = {str("catalog"), str("param", kOpt | kMulti), kEnd};
Arg g_config_set[] = {str("catalog"), block("setting", g_pair_sub, kMulti), kEnd};

// ---- RECO.ITEM.* -----------------------------------------------------------------------
Arg g_item_set[] = {str("catalog"),
                    str("item"),
                    RECO_VECTOR_ARGS(kOpt),
                    block("terms", g_terms_sub, kOpt, "TERMS"),
                    dbl("popularity", kOpt, "POPULARITY"),
                    arg("time", REDISMODULE_ARG_TYPE_UNIX_TIME, kOpt, "TIME"),
                    block("features", g_pairs_sub, kOpt, "FEATURES"),
                    kEnd};
Arg g_item_del[] = {str("catalog"), str("item", kMulti), kEnd};
Arg g_item_get[] = {str("catalog"), str("item"), kEnd};

// ---- RECO.USER.* -----------------------------------------------------------------------
Arg g_user_set[] = {key("key"),
                    RECO_VECTOR_ARGS(kOpt),
                    block("terms", g_weighted_terms_sub, kOpt, "TERMS"),
                    block("features", g_pairs_sub, kOpt, "FEATURES"),
                    block("seen", g_items_sub, kOpt, "SEEN"),
                    str("fingerprints", kOpt, "SEENFP"),
                    kEnd};
Arg g_user_key[] = {key("key"), kEnd};
Arg g_user_items[] = {key("key"), str("item", kMulti), kEnd};
Arg g_user_item[] = {key("key"), str("item"), kEnd};

// ---- queries ---------------------------------------------------------------------------
Arg g_recommend[] = {str("catalog"),
                     key("user"),
                     integer("k"),
                     block("session", g_items_sub, kOpt, "SESSION"),
                     block("exclude", g_items_sub, kOpt, "EXCLUDE"),
                     block("hasterm", g_terms_sub, kOpt, "HASTERM"),
                     block("budget", g_budget_sub, kOpt | kMulti, "BUDGET"),
                     block("weight", g_weight_sub, kOpt | kMulti, "WEIGHT"),
                     oneof("model", g_model_choice_sub, kOpt, "MODEL"),
                     block("context", g_pairs_sub, kOpt, "CONTEXT"),
                     integer("ef", kOpt, "EF"),
                     token("withscores", "WITHSCORES"),
                     token("explain", "EXPLAIN"),
                     kEnd};
Arg g_similar[] = {str("catalog"),
                   str("item"),
                   integer("k"),
                   block("exclude", g_items_sub, kOpt, "EXCLUDE"),
                   block("hasterm", g_terms_sub, kOpt, "HASTERM"),
                   integer("ef", kOpt, "EF"),
                   token("withscores", "WITHSCORES"),
                   kEnd};
Arg g_knn[] = {str("catalog"),
               integer("k"),
               RECO_VECTOR_ARGS(kOpt),
               block("exclude", g_items_sub, kOpt, "EXCLUDE"),
               block("hasterm", g_terms_sub, kOpt, "HASTERM"),
               integer("ef", kOpt, "EF"),
               token("withscores", "WITHSCORES"),
               kEnd};
Arg g_score[] = {str("catalog"),
                 key("user"),
                 integer("n"),
                 str("item", kMulti),
                 str("version", kOpt, "MODEL"),
                 block("context", g_pairs_sub, kOpt, "CONTEXT"),
                 kEnd};

// ---- RECO.MODEL.* ----------------------------------------------------------------------
Arg g_model_put[] = {str("catalog"), str("version"), str("model-file"), token("activate", "ACTIVATE"), kEnd};
Arg g_model_version[] = {str("catalog"), str("version"), kEnd};
Arg g_model_del[] = {str("catalog"), str("version"), token("force", "FORCE"), kEnd};
Arg g_model_split[] = {str("catalog"), str("version-a", 0, nullptr, "or OFF to end the split"),
                       str("version-b", kOpt), dbl("percent-b", kOpt), kEnd};

KeySpec g_key_read[] = {key_at(1, kRead), KeySpec{}};
KeySpec g_query_key[] = {key_at(2, kRead), KeySpec{}};
KeySpec g_key_update[] = {key_at(1, REDISMODULE_CMD_KEY_RW | REDISMODULE_CMD_KEY_UPDATE),
                          KeySpec{}};
KeySpec g_key_seen_add[] = {key_at(1, REDISMODULE_CMD_KEY_RW | REDISMODULE_CMD_KEY_INSERT), KeySpec{}};
KeySpec g_key_seen_del[] = {key_at(1, REDISMODULE_CMD_KEY_RW | REDISMODULE_CMD_KEY_DELETE), KeySpec{}};

struct CommandDoc {
  const char* name;  // "parent|sub" for a subcommand
  const char* summary;
  const char* complexity;
  int arity;
  KeySpec* keys;
  Arg* args;
  const char* acl;  // ACL categories (7.2+)
};

const CommandDoc kDocs[] = {
    {"reco.catalog.create", "Create an empty catalog of items with a vector index and a term index.", "O(1)",
     -4, nullptr, g_catalog_create, "write"},
    {"reco.catalog.drop", "Delete a catalog with its items and models.", "O(N) where N is the number of items",
     2, nullptr, g_catalog_only, "write"},
    {"reco.catalog.info", "Sizes, index settings and version of a catalog.", "O(1)", 2, nullptr, g_catalog_only,
     "read fast"},
    {"reco.catalog.list", "Names of all catalogs.", "O(N) where N is the number of catalogs", 1, nullptr, nullptr,
     "read fast"},
    {"reco.catalog.dump", "One part of a catalog's copy (items, index and graph, blend, models), for RESTORE elsewhere.",
     "O(N) where N is the number of items for part 0 (it encodes the copy), O(P) for a part of P bytes after it", 3,
     nullptr, g_catalog_dump, "read"},
    {"reco.catalog.restore", "Take the parts of a catalog's copy in order; the last one installs the catalog.",
     "O(P) for a part of P bytes, O(N) where N is the number of items for the last one", -5, nullptr,
     g_catalog_restore, "write"},
    {"reco.catalog.config", "Read or change the settings of a catalog (GET and SET subcommands).",
     "Depends on subcommand.", -2, nullptr, nullptr, "slow"},
    {"reco.catalog.config|get", "Blend parameters and query-time index settings of a catalog.",
     "O(N) where N is the number of parameters", -3, nullptr, g_config_get, "read fast"},
    {"reco.catalog.config|set", "Change blend parameters and query-time index settings of a catalog (all or none).",
     "O(N) where N is the number of parameters", -5, nullptr, g_config_set, "write"},
    {"reco.item.set", "Add an item to a catalog or update the fields given.",
     "O(T + log N) for T terms; with an HNSW index O(M * EF_CONSTRUCTION * log N)", -3, nullptr, g_item_set,
     "write"},
    {"reco.item.del", "Delete items from a catalog.", "O(N) where N is the number of items given", -3, nullptr,
     g_item_del, "write"},
    {"reco.item.get", "Fields of one item.", "O(D + T) for D dimensions and T terms", 3, nullptr, g_item_get,
     "read fast"},
    {"reco.user.set", "Create a user profile or update the fields given.",
     "O(D + T + S) for D dimensions, T terms and S seen items", -2, g_key_update, g_user_set, "write"},
    {"reco.user.get", "Fields of a user profile.", "O(D + T + F) for D dimensions, T terms and F features", 2,
     g_key_read, g_user_key, "read fast"},
    {"reco.user.seen.add", "Add items to a user's seen-set.", "O(N) where N is the number of items given", -3,
     g_key_seen_add, g_user_items, "write"},
    {"reco.user.seen.del", "Remove items from a user's seen-set.", "O(N) where N is the number of items given", -3,
     g_key_seen_del, g_user_items, "write"},
    {"reco.user.seen.has", "Whether a user has seen an item.", "O(1)", 3, g_key_read, g_user_item, "read fast"},
    {"reco.recommend", "Top K items for a user: recall, filter, rank.",
     "O(B * D) for B recalled candidates of D dimensions, plus ranking", -4, g_query_key, g_recommend, "read"},
    {"reco.similar", "Items nearest to an item of the catalog.", "O(EF * log N) with HNSW, O(N * D) exact", -4,
     nullptr, g_similar, "read"},
    {"reco.knn", "Items nearest to a given vector.", "O(EF * log N) with HNSW, O(N * D) exact", -3, nullptr, g_knn,
     "read"},
    {"reco.score", "Scores of the given items for a user under a model version.",
     "O(N) where N is the number of items", -5, g_query_key, g_score, "read"},
    {"reco.model.put", "Store a ranking model version of a catalog.",
     "O(S + N) for a file of S bytes and N items", -4, nullptr, g_model_put, "write"},
    {"reco.model.activate", "Make a stored model version the active one.", "O(1)", 3, nullptr, g_model_version,
     "write"},
    {"reco.model.rollback", "Make the previously active model version active again.", "O(1)", 2, nullptr,
     g_catalog_only, "write"},
    {"reco.model.del", "Delete a model version.", "O(1)", -3, nullptr, g_model_del, "write"},
    {"reco.model.split", "Split traffic between two model versions by user hash, or end the split.", "O(1)", -3,
     nullptr, g_model_split, "write"},
    {"reco.model.list", "Model versions of a catalog and their state.", "O(N) where N is the number of versions",
     2, nullptr, g_catalog_only, "read fast"},
    {"reco.model.info", "Schema and state of one model version.", "O(F) where F is the number of fields", 3,
     nullptr, g_model_version, "read fast"},
};

const RedisModuleCommandInfoVersion kInfoVersion{REDISMODULE_COMMAND_INFO_VERSION_1,
                                                 sizeof(RedisModuleCommandHistoryEntry), sizeof(KeySpec),
                                                 sizeof(Arg)};


}  // namespace

int register_command_docs(RedisModuleCtx* ctx) {
  for (const CommandDoc& d : kDocs) {
    // GetCommand finds a subcommand as "parent|sub".
    RedisModuleCommand* cmd = RedisModule_GetCommand(ctx, d.name);
    if (cmd == nullptr) {
      RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "command %s is not registered", d.name);
      return REDISMODULE_ERR;
    }
    RedisModuleCommandInfo info{};
    info.version = &kInfoVersion;
    info.summary = d.summary;
    info.complexity = d.complexity;
    info.since = kSince;
    info.arity = d.arity;
    info.key_specs = d.keys;
    info.args = d.args;
    if (RedisModule_SetCommandInfo(cmd, &info) == REDISMODULE_ERR) {
      RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "the command info of %s was refused", d.name);
      return REDISMODULE_ERR;
    }
    if (RedisModule_SetCommandACLCategories != nullptr &&
        RedisModule_SetCommandACLCategories(cmd, d.acl) == REDISMODULE_ERR) {
      RedisModule_Log(ctx, REDISMODULE_LOGLEVEL_WARNING, "the ACL categories of %s were refused", d.name);
      return REDISMODULE_ERR;
    }
  }
  return REDISMODULE_OK;
}

bool acl_categories_native() { return RedisModule_SetCommandACLCategories != nullptr; }

}  // namespace reco::glue
