// Choosing a catalog's blend (reco/blend.hpp) offline, with the engine's own
// recommend() on an in-process catalog, so that what is fitted is exactly what the
// module will serve. The fit uses the test part of the split, never the held-out part:
// the catalog holds the items with their trained vectors and with popularity and time
// as of the training part; each user has the trained vector, the terms of their first
// test row (point-in-time), the training items as seen-set, and their first `per_user`
// test items as what should come next.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "reco/blend.hpp"
#include "reco_offline/factor_files.hpp"
#include "reco_offline/ranking_metrics.hpp"
#include "reco_offline/records.hpp"

namespace reco_offline {

struct BlendCase;  // one user's profile and relevant items (opaque)

class BlendBench {
 public:
  // `train`/`test` rows as read from the prepared directory (test with its terms);
  // users without test rows or without a vector are left out; at most `max_users`
  // users (the first by id; 0 = all).
  BlendBench(const std::vector<ItemRecord>& items, const FactorTable& item_vectors, const FactorTable& user_vectors,
             const std::vector<Rating>& train, const std::vector<Rating>& test,
             const std::vector<std::vector<WeightedTerm>>& test_terms, size_t per_user = 10, size_t max_users = 0);
  ~BlendBench();
  BlendBench(const BlendBench&) = delete;
  BlendBench& operator=(const BlendBench&) = delete;

  // Metrics at `k` of recommend() with `config` over the bench's users.
  RankingMetrics evaluate(const reco::BlendConfig& config, size_t k) const;
  size_t users() const;

 private:
  struct State;
  State* state_;
};

struct BlendTrial {
  reco::BlendConfig config;
  RankingMetrics metrics;
};

struct BlendFit {
  reco::BlendConfig best;
  RankingMetrics best_metrics;
  std::vector<BlendTrial> tried;
};

// Grid over WEIGHT.TERM x WEIGHT.POPULAR (vector weight 1) starting from `base`; with
// `with_prior` also over POPULARITY x RECENCY.HALFLIFE from the best of that. Picks the
// highest NDCG@k (ties: earlier trial, i.e. the simpler blend).
BlendFit fit_blend(const BlendBench& bench, const reco::BlendConfig& base, size_t k, bool with_prior);

// blend.json: {"params": {NAME: value, ...}, ...extra}. read throws DataError on bad content.
void write_blend_json(const std::string& path, const reco::BlendConfig& config, const std::string& extra_json = "{}");
reco::BlendConfig read_blend_json(const std::string& path);

// The per-request RECO.RECOMMEND arguments (BUDGET/WEIGHT per source) that reproduce
// `config`; `unexpressed` gets the names of parameters a request cannot carry.
std::vector<std::string> blend_request_args(const reco::BlendConfig& config, std::vector<std::string>* unexpressed);

}  // namespace reco_offline
