// One recommendation: recall from several sources -> merge -> order -> top K.
//
// Every source searches with the same ItemFilter (seen-set, EXCLUDE, SESSION items), so
// nothing filtered ever takes a slot. Until a catalog has a ranking model, candidates are
// ordered by a rank blend of the sources (see blend_score), which needs no calibration
// between an inner product, a term weight and a popularity count.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "reco/catalog.hpp"
#include "reco/top_k.hpp"
#include "reco/user_profile.hpp"

namespace reco {

enum class Source : std::uint8_t { Vector = 0, Term = 1, Session = 2, Popular = 3 };
constexpr std::size_t kSourceCount = 4;
constexpr std::size_t kMaxK = 10000;
constexpr std::size_t kMaxBudget = 100000;

std::string_view source_name(Source s);                  // "vector", "term", ...
std::optional<Source> parse_source(std::string_view s);  // case-insensitive

struct SourceConfig {
  std::size_t budget;  // candidates the source may contribute; 0 disables it
  double weight;       // its share of the blend
};

struct RecommendRequest {
  std::size_t k = 10;
  // Defaults: see default_sources().
  std::array<SourceConfig, kSourceCount> sources;
  std::vector<std::uint32_t> session;  // dense ids being browsed, oldest first
  std::vector<std::uint32_t> exclude;  // dense ids never to return
  bool explain = false;

  RecommendRequest();
  SourceConfig& source(Source s) { return sources[static_cast<std::size_t>(s)]; }
  const SourceConfig& source(Source s) const { return sources[static_cast<std::size_t>(s)]; }
};

// vector 200 x 1.0, term 200 x 0.5, session 100 x 1.0, popular K x 0.01 (the popular
// budget follows K unless set).
std::array<SourceConfig, kSourceCount> default_sources(std::size_t k);

struct Recommendation {
  std::uint32_t id;
  double score;
  std::uint8_t sources;  // bit i set: recalled by Source(i)
};

struct RecommendStats {
  std::array<std::size_t, kSourceCount> recalled{};  // candidates each source returned
  std::size_t candidates = 0;                         // after merge
  bool cold = false;                                  // no vector, terms or session
  double recall_us = 0, rank_us = 0, total_us = 0;
};

struct RecommendResult {
  std::vector<Recommendation> items;  // best first, at most k
  RecommendStats stats;
};

// Contribution of a candidate at 0-based `rank` in a source of `budget` with `weight`:
// weight * (1 - rank / budget). A candidate's score is the sum over the sources that
// recalled it; ties break by popular order, then dense id.
double blend_score(std::size_t rank, std::size_t budget, double weight);

// `user` may be null (cold). A vector whose size differs from the catalog's dim is ignored
// here; RECO.RECOMMEND refuses such a request before it gets this far.
RecommendResult recommend(const Catalog& catalog, const UserProfile* user,
                          const RecommendRequest& request);

// The k nearest items to item `dense` (itself excluded) that `filter` allows.
std::vector<Hit> similar(const Catalog& catalog, std::uint32_t dense, std::size_t k,
                         ItemFilter filter);

// A raw vector query, normalised by the catalog's metric.
std::vector<Hit> nearest(const Catalog& catalog, std::span<const float> query, std::size_t k,
                         const ItemFilter& filter);

}  // namespace reco
