// One recommendation: recall from several sources -> merge -> order -> top K.
//
// Every source searches with the same ItemFilter (seen-set, EXCLUDE, SESSION items), so
// nothing filtered ever takes a slot. Until a catalog has a ranking model, candidates are
// ordered by the blend of reco/blend.hpp (a rank blend of the sources plus an optional
// popularity/recency term), which needs no calibration between an inner product, a term
// weight and a popularity count.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "reco/blend.hpp"
#include "reco/candidate_fields.hpp"
#include "reco/catalog.hpp"
#include "reco/model_set.hpp"
#include "reco/top_k.hpp"
#include "reco/user_profile.hpp"

namespace reco {

constexpr std::size_t kMaxK = 10000;

std::string_view source_name(Source s);                  // "vector", "term", ...
std::optional<Source> parse_source(std::string_view s);  // case-insensitive

struct RecommendRequest {
  std::size_t k = 10;
  // The budgets and weights in force for this request (popular budget resolved against K).
  // Defaults: see default_sources().
  std::array<SourceConfig, kSourceCount> sources;
  // The rest of the blend (popularity, recency); its `sources` are not read here.
  BlendConfig blend;
  std::vector<std::uint32_t> session;  // dense ids being browsed, oldest first
  std::vector<std::uint32_t> exclude;  // dense ids never to return
  // HASTERM: only items carrying one of these terms may be returned, by any source.
  std::optional<std::vector<std::string>> only_terms;
  std::size_t ef = 0;                  // graph search list length; 0 = the catalog's
  // Ranking: with a model version, candidates are ordered by its score instead of the blend.
  const ModelVersion* model = nullptr;
  std::string_view user_key;           // the model's "id" fields of the user side
  ContextPairs context;                // CONTEXT name/value pairs for the model
  bool explain = false;
  // Keep each returned item's candidate signals (RecommendResult::signals): for EXPLAIN
  // and for trainers that learn from what recall produced.
  bool with_signals = false;

  RecommendRequest();
  // Takes a catalog's blend: its terms and its sources resolved for the current k (set k
  // first). Per-request overrides go into `sources` afterwards.
  void use_blend(const BlendConfig& config);
  SourceConfig& source(Source s) { return sources[static_cast<std::size_t>(s)]; }
  const SourceConfig& source(Source s) const { return sources[static_cast<std::size_t>(s)]; }
};

// vector 200 x 1.0, term 200 x 0.5, session 100 x 1.0, popular K x 0.01 (the popular
// budget follows K unless set).
std::array<SourceConfig, kSourceCount> default_sources(std::size_t k);

struct Recommendation {
  std::uint32_t id;
  std::uint32_t slot;    // the candidate's position in recall order (internal)
  double score;
  std::uint8_t sources;  // bit i set: recalled by Source(i)
};

struct RecommendStats {
  std::array<std::size_t, kSourceCount> recalled{};  // candidates each source returned
  std::size_t candidates = 0;                         // after merge
  bool cold = false;                                  // no vector, terms or session
  std::string_view model;                             // version that ranked; empty: blend
  double recall_us = 0, rank_us = 0, total_us = 0;
};

struct RecommendResult {
  std::vector<Recommendation> items;  // best first, at most k
  std::vector<CandidateSignals> signals;  // with_signals: items[i]'s at i
  RecommendStats stats;
};

// `user` may be null (cold). A vector whose size differs from the catalog's dim is ignored
// here; RECO.RECOMMEND refuses such a request before it gets this far.
RecommendResult recommend(const Catalog& catalog, const UserProfile* user,
                          const RecommendRequest& request);

// The k nearest items to item `dense` (itself excluded) that `filter` allows, by the
// item-to-item score (reco/item_similarity.hpp: cosine over the non-bias dimensions).
std::vector<Hit> similar(const Catalog& catalog, std::uint32_t dense, std::size_t k,
                         ItemFilter filter, std::size_t ef = 0);

// A raw vector query, normalised by the catalog's metric.
std::vector<Hit> nearest(const Catalog& catalog, std::span<const float> query, std::size_t k,
                         const ItemFilter& filter, std::size_t ef = 0);

}  // namespace reco
