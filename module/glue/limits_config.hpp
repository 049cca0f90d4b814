// Operator caps on what one request may ask for: the reco.max-* module configs.
//
// Why it is shaped so: the engine has hard limits (kMaxK, kMaxBudget, kMaxEf, ...) that bound
// what is safe at all; these configs let an operator lower them for a shared server, at load
// time (loadmodule arguments, redis.conf) or at run time (CONFIG SET), persisted by CONFIG
// REWRITE. A request beyond a hard limit keeps its old error; one within the hard limit but
// over a cap gets "ERR <what> <n> exceeds reco.<config> (<cap>)" and changes nothing, because
// every cap is checked while arguments are parsed. Read on the main thread only.
#pragma once

#include <string_view>

#include "redismodule.h"

namespace reco::glue {

struct Limits {
  long long max_k;            // reco.max-k: K of RECOMMEND, SIMILAR, KNN
  long long max_budget;       // reco.max-budget: a request's BUDGET, a catalog's BUDGET.*
  long long max_ef;           // reco.max-ef: EF, EF_RUNTIME, EF_CONSTRUCTION
  long long max_list;         // reco.max-list: entries of any counted list or item list
  long long max_model_bytes;  // reco.max-model-bytes: a RECO.MODEL.PUT file
};

const Limits& limits();

// Whether the command being run comes from a client (caps apply) or from the master link or
// an AOF load (it was accepted where it was first sent: applying it keeps nodes equal).
// Set by dispatch() before each handler.
void set_caps_enforced(bool enforced) noexcept;

// Throws reco::Error when value > cap and caps are enforced (cap is one of limits()'s fields; `config` its name
// without the "reco." prefix).
void check_cap(std::string_view what, long long value, std::string_view config, long long cap);

// Registers the configs (call in OnLoad before RedisModule_LoadConfigs).
int register_limits_config(RedisModuleCtx* ctx);

}  // namespace reco::glue
