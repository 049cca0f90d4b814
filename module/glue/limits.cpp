// The caps' values and the check every parser calls (see limits.hpp).
#include "limits.hpp"

#include <string>

#include "reco/blend.hpp"
#include "reco/error.hpp"
#include "reco/index_config.hpp"
#include "reco/recommender.hpp"

namespace reco::glue {

namespace {

Limits g_limits{static_cast<long long>(kMaxK), static_cast<long long>(kMaxBudget),
                static_cast<long long>(kMaxEf), 100000, 512LL << 20, 32LL << 20};
bool g_enforced = true;

}  // namespace

const Limits& limits() { return g_limits; }
Limits& mutable_limits() { return g_limits; }

void set_caps_enforced(bool enforced) noexcept { g_enforced = enforced; }

void check_cap(std::string_view what, long long value, std::string_view config, long long cap) {
  if (value <= cap || !g_enforced) return;
  throw Error(std::string(what) + " " + std::to_string(value) + " exceeds reco." + std::string(config) + " (" +
              std::to_string(cap) + ")");
}

}  // namespace reco::glue
