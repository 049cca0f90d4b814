// How RECO.RECOMMEND orders its candidates before (or without) a ranking model: the blend.
//
// A catalog keeps one BlendConfig (set by name, persisted with the catalog) and a request
// may override any part of it. Parameters are addressed by case-insensitive names so that
// the command, the persisted form and the offline tools share one table and one validator.
//
// The order of a candidate c is
//   score(c) = sum over the sources s that recalled c of  weight_s * (1 - rank_s(c) / budget_s)
//            + popularity * log(1 + pop_c) / log(1 + pop_max) * recency(c)
//   recency(c) = 0.5 ^ ((t_new - t_c) / (recency_halflife_days * 86400))   (1 when the half-life is 0)
// rank_s(c) is c's 0-based position in source s, pop_max the catalog's largest popularity,
// t_c the item's time and t_new the newest time among the candidates. The rank part needs no
// calibration between an inner product, a term weight and a popularity count: the vector
// source alone serves exactly the vector order (whatever the vectors encode, e.g. an item
// bias folded into an extra dimension), and other sources shift items by whole ranks. The
// popularity term lets popularity (decayed by recency) lift any candidate, whichever
// source recalled it. Ties break by the catalog's popular order, then dense id.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reco {

class ByteSink;    // codec.hpp
class ByteSource;

enum class Source : std::uint8_t { Vector = 0, Term = 1, Session = 2, Popular = 3 };
constexpr std::size_t kSourceCount = 4;
constexpr std::size_t kMaxBudget = 100000;
// A popular budget of kBudgetFollowsK means "K of the request" (the cold-user fill).
constexpr std::size_t kBudgetFollowsK = static_cast<std::size_t>(-1);
constexpr double kMaxBlendWeight = 1e6;
constexpr double kMaxHalflifeDays = 36500;

struct SourceConfig {
  std::size_t budget;  // candidates the source may contribute; 0 disables it
  double weight;       // its share of the blend
  bool operator==(const SourceConfig&) const = default;
};

struct BlendConfig {
  // vector 200 x 1.0, term 200 x 0.5, session 100 x 1.0, popular K x 0.01.
  std::array<SourceConfig, kSourceCount> sources = {
      SourceConfig{200, 1.0}, SourceConfig{200, 0.5}, SourceConfig{100, 1.0},
      SourceConfig{kBudgetFollowsK, 0.01}};
  double popularity = 0.0;             // weight of the normalised log-popularity term
  double recency_halflife_days = 0.0;  // 0: popularity is not decayed by age

  SourceConfig& source(Source s) { return sources[static_cast<std::size_t>(s)]; }
  const SourceConfig& source(Source s) const { return sources[static_cast<std::size_t>(s)]; }
  bool operator==(const BlendConfig&) const = default;
};

// The per-source settings for a request of `k` results (kBudgetFollowsK resolved).
std::array<SourceConfig, kSourceCount> resolve_sources(const BlendConfig& config, std::size_t k);

// Sets one parameter by name: BUDGET.<SOURCE> (integer 0..kMaxBudget; BUDGET.POPULAR also
// takes -1 = follow K), WEIGHT.<SOURCE> (0..kMaxBlendWeight), POPULARITY (0..kMaxBlendWeight),
// RECENCY.HALFLIFE (days, 0..kMaxHalflifeDays). Names are case-insensitive. Returns false
// and fills `why` (config unchanged) on an unknown name or a bad value.
bool set_blend_param(BlendConfig& config, std::string_view name, double value, std::string* why = nullptr);

// Every parameter with its value, in a fixed order (canonical upper-case names), for GET.
std::vector<std::pair<std::string, double>> blend_params(const BlendConfig& config);
// One parameter by name, or nullopt for an unknown name.
std::optional<double> blend_param(const BlendConfig& config, std::string_view name);

// Persisted as (name, value) pairs, so an older reader rejects what it does not know
// instead of misreading it, and a newer one reads older payloads. load throws reco::Error.
void save_blend(const BlendConfig& config, ByteSink& out);
BlendConfig load_blend(ByteSource& in);

// A candidate's share from one source at 0-based `rank` of `budget` with `weight`:
// weight * (1 - rank / budget), 0 outside the budget.
double blend_score(std::size_t rank, std::size_t budget, double weight);

// The popularity term of the formula above for an item of `popularity` and `time`.
// `max_popularity` is the catalog's largest, `newest_time` the newest candidate's time.
double popularity_term(const BlendConfig& config, double popularity, double max_popularity, std::int64_t time,
                       std::int64_t newest_time);

}  // namespace reco
