// The blend's parameter table, validation, persistence and formula (see reco/blend.hpp).
// One table drives SET, GET and load so that the three can never disagree on a name.
#include "reco/blend.hpp"

#include <strings.h>

#include <algorithm>
#include <cmath>

#include "reco/codec.hpp"
#include "reco/error.hpp"

namespace reco {
namespace {

constexpr std::uint64_t kBlendEncoding = 1;
constexpr std::uint64_t kMaxPersistedParams = 64;

enum class Kind { Budget, Weight, Popularity, Halflife };

struct Param {
  std::string_view name;
  Kind kind;
  Source source;  // for Budget and Weight
};

constexpr std::array<Param, 10> kParams = {{
    {"BUDGET.VECTOR", Kind::Budget, Source::Vector},
    {"BUDGET.TERM", Kind::Budget, Source::Term},
    {"BUDGET.SESSION", Kind::Budget, Source::Session},
    {"BUDGET.POPULAR", Kind::Budget, Source::Popular},
    {"WEIGHT.VECTOR", Kind::Weight, Source::Vector},
    {"WEIGHT.TERM", Kind::Weight, Source::Term},
    {"WEIGHT.SESSION", Kind::Weight, Source::Session},
    {"WEIGHT.POPULAR", Kind::Weight, Source::Popular},
    {"POPULARITY", Kind::Popularity, Source::Vector},
    {"RECENCY.HALFLIFE", Kind::Halflife, Source::Vector},
}};

const Param* find_param(std::string_view name) {
  for (const Param& p : kParams)
    if (name.size() == p.name.size() && strncasecmp(name.data(), p.name.data(), name.size()) == 0) return &p;
  return nullptr;
}

double value_of(const BlendConfig& c, const Param& p) {
  switch (p.kind) {
    case Kind::Budget: {
      const std::size_t b = c.source(p.source).budget;
      return b == kBudgetFollowsK ? -1.0 : static_cast<double>(b);
    }
    case Kind::Weight: return c.source(p.source).weight;
    case Kind::Popularity: return c.popularity;
    case Kind::Halflife: return c.recency_halflife_days;
  }
  return 0;
}

std::string fmt_num(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool fail(std::string* why, std::string msg) {
  if (why) *why = std::move(msg);
  return false;
}

}  // namespace

std::array<SourceConfig, kSourceCount> resolve_sources(const BlendConfig& config, std::size_t k) {
  auto out = config.sources;
  for (auto& s : out)
    if (s.budget == kBudgetFollowsK) s.budget = std::min(k, kMaxBudget);
  return out;
}

bool set_blend_param(BlendConfig& config, std::string_view name, double value, std::string* why) {
  const Param* p = find_param(name);
  if (!p) {
    std::string known;
    for (const Param& q : kParams) known += (known.empty() ? "" : ", ") + std::string(q.name);
    return fail(why, "unknown blend parameter '" + std::string(name) + "' (known: " + known + ")");
  }
  const std::string label(p->name);
  if (!std::isfinite(value)) return fail(why, label + " must be a finite number");
  switch (p->kind) {
    case Kind::Budget: {
      if (value != std::floor(value)) return fail(why, label + " must be a whole number");
      if (p->source == Source::Popular && value == -1) {
        config.source(p->source).budget = kBudgetFollowsK;
        return true;
      }
      if (value < 0 || value > static_cast<double>(kMaxBudget))
        return fail(why, label + " must be between 0 and " + std::to_string(kMaxBudget) +
                             (p->source == Source::Popular ? " (or -1: follow K)" : ""));
      config.source(p->source).budget = static_cast<std::size_t>(value);
      return true;
    }
    case Kind::Weight:
    case Kind::Popularity:
      if (value < 0 || value > kMaxBlendWeight)
        return fail(why, label + " must be between 0 and " + fmt_num(kMaxBlendWeight));
      (p->kind == Kind::Weight ? config.source(p->source).weight : config.popularity) = value;
      return true;
    case Kind::Halflife:
      if (value < 0 || value > kMaxHalflifeDays)
        return fail(why, label + " must be between 0 and " + fmt_num(kMaxHalflifeDays) + " days (0 = off)");
      config.recency_halflife_days = value;
      return true;
  }
  return fail(why, "unhandled parameter");
}

std::vector<std::pair<std::string, double>> blend_params(const BlendConfig& config) {
  std::vector<std::pair<std::string, double>> out;
  out.reserve(kParams.size());
  for (const Param& p : kParams) out.emplace_back(std::string(p.name), value_of(config, p));
  return out;
}

std::optional<double> blend_param(const BlendConfig& config, std::string_view name) {
  const Param* p = find_param(name);
  if (!p) return std::nullopt;
  return value_of(config, *p);
}

void save_blend(const BlendConfig& config, ByteSink& out) {
  out.put_u64(kBlendEncoding);
  const auto params = blend_params(config);
  out.put_u64(params.size());
  for (const auto& [name, value] : params) {
    out.put_bytes(name);
    out.put_double(value);
  }
}

BlendConfig load_blend(ByteSource& in) {
  const std::uint64_t version = in.get_u64();
  if (version == 0 || version > kBlendEncoding)
    throw Error("blend settings have encoding " + std::to_string(version) + ", this build reads up to " +
                std::to_string(kBlendEncoding));
  const std::uint64_t n = in.get_u64();
  if (n > kMaxPersistedParams) throw Error("blend settings claim " + std::to_string(n) + " parameters");
  BlendConfig config;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string name = in.get_bytes();
    const double value = in.get_double();
    std::string why;
    if (!set_blend_param(config, name, value, &why)) throw Error("blend settings: " + why);
  }
  return config;
}

double blend_score(std::size_t rank, std::size_t budget, double weight) {
  if (budget == 0 || rank >= budget) return 0.0;
  return weight * (1.0 - static_cast<double>(rank) / static_cast<double>(budget));
}

double popularity_term(const BlendConfig& config, double popularity, double max_popularity, std::int64_t time,
                       std::int64_t newest_time) {
  if (!(config.popularity > 0) || !(max_popularity > 0) || !(popularity > 0)) return 0.0;
  double term = config.popularity * std::log1p(popularity) / std::log1p(max_popularity);
  if (config.recency_halflife_days > 0) {
    // In double: item times are any int64 a client sent, and newest - oldest can overflow
    // int64 (signed overflow is undefined; UBSan flags it). A double difference of two
    // int64 is never inf, and exp2 of a huge negative is a clean 0.
    const double age_days =
        std::max(0.0, static_cast<double>(newest_time) - static_cast<double>(time)) / 86400.0;
    term *= std::exp2(-age_days / config.recency_halflife_days);
  }
  return term;
}

}  // namespace reco
