// The reco.max-* configs and reco.copy-part-bytes (see limits_config.hpp): each is a numeric module config whose
// storage is a field of the caps in limits.cpp; the server checks min..max before set_value.
#include "limits_config.hpp"

#include "reco/blend.hpp"
#include "reco/index_config.hpp"
#include "reco/recommender.hpp"
#include "reco/safetensors.hpp"

namespace reco::glue {

namespace {

struct NumericConfig {
  const char* name;  // without "reco."
  long long* value;
  long long min, max;
};

long long get_value(const char* /*name*/, void* privdata) { return *static_cast<long long*>(privdata); }

int set_value(const char* /*name*/, long long value, void* privdata, RedisModuleString** /*err*/) {
  *static_cast<long long*>(privdata) = value;
  return REDISMODULE_OK;
}

}  // namespace

int register_limits_config(RedisModuleCtx* ctx) {
  Limits& l = mutable_limits();
  const NumericConfig configs[] = {
      {"max-k", &l.max_k, 1, static_cast<long long>(kMaxK)},
      {"max-budget", &l.max_budget, 0, static_cast<long long>(kMaxBudget)},
      {"max-ef", &l.max_ef, 1, static_cast<long long>(kMaxEf)},
      {"max-list", &l.max_list, 1, 100000000},
      {"max-model-bytes", &l.max_model_bytes, 1024, static_cast<long long>(kMaxTensorFileBytes)},
      {"copy-part-bytes", &l.copy_part_bytes, 1024, 256LL << 20},
  };
  for (const NumericConfig& c : configs) {
    if (RedisModule_RegisterNumericConfig(ctx, c.name, *c.value, REDISMODULE_CONFIG_DEFAULT, c.min, c.max,
                                          get_value, set_value, nullptr, c.value) == REDISMODULE_ERR)
      return REDISMODULE_ERR;
  }
  return REDISMODULE_OK;
}

}  // namespace reco::glue
