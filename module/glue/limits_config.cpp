// The reco.max-* caps (see limits_config.hpp).
#include "limits_config.hpp"

#include <string>

#include "reco/blend.hpp"
#include "reco/error.hpp"
#include "reco/index_config.hpp"
#include "reco/recommender.hpp"
#include "reco/safetensors.hpp"

namespace reco::glue {

namespace {

Limits g_limits{static_cast<long long>(kMaxK), static_cast<long long>(kMaxBudget),
                static_cast<long long>(kMaxEf), 100000, 512LL << 20};

struct NumericConfig {
  const char* name;  // without "reco."
  long long* value;
  long long min, max;
};

const NumericConfig kConfigs[] = {
    {"max-k", &g_limits.max_k, 1, static_cast<long long>(kMaxK)},
    {"max-budget", &g_limits.max_budget, 0, static_cast<long long>(kMaxBudget)},
    {"max-ef", &g_limits.max_ef, 1, static_cast<long long>(kMaxEf)},
    {"max-list", &g_limits.max_list, 1, 100000000},
    {"max-model-bytes", &g_limits.max_model_bytes, 1024, static_cast<long long>(kMaxTensorFileBytes)},
};

long long get_value(const char* /*name*/, void* privdata) { return *static_cast<long long*>(privdata); }

int set_value(const char* /*name*/, long long value, void* privdata, RedisModuleString** /*err*/) {
  *static_cast<long long*>(privdata) = value;  // the server has checked min..max
  return REDISMODULE_OK;
}

}  // namespace

bool g_enforced = true;

const Limits& limits() { return g_limits; }

void set_caps_enforced(bool enforced) noexcept { g_enforced = enforced; }

void check_cap(std::string_view what, long long value, std::string_view config, long long cap) {
  if (value <= cap || !g_enforced) return;
  throw Error(std::string(what) + " " + std::to_string(value) + " exceeds reco." + std::string(config) + " (" +
              std::to_string(cap) + ")");
}

int register_limits_config(RedisModuleCtx* ctx) {
  for (const NumericConfig& c : kConfigs) {
    if (RedisModule_RegisterNumericConfig(ctx, c.name, *c.value, REDISMODULE_CONFIG_DEFAULT, c.min, c.max,
                                          get_value, set_value, nullptr, c.value) == REDISMODULE_ERR)
      return REDISMODULE_ERR;
  }
  return REDISMODULE_OK;
}

}  // namespace reco::glue
