// A small deterministic grid search over the next-item trainer's settings.
//
// Every combination of the given values trains on the training part with the same seed
// and is scored offline by NDCG@K of its exact top K (inner product over [q_i, b_i] and
// [p_u, 1], the user's training items skipped) against the user's test-part items: the
// part the blend fit and early choices already use, never the held-out part reco-eval
// scores. The best trial (ties: the first in grid order) is what reco-train then fits,
// refits and exports; every trial goes into the run record. Same data, same grid, same
// seed: the same trials and the same choice.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "reco_offline/bpr_trainer.hpp"
#include "reco_offline/dataset.hpp"

namespace reco_offline {

struct SearchAxis {
  std::string name;  // dim, negatives, lr, reg, bias-reg, epochs
  std::vector<double> values;
};

// "dim=16,32 negatives=1,5 lr=0.05" (axes separated by spaces or ';'). Throws
// std::invalid_argument naming the bad part: an unknown axis, a value out of range, a
// repeated axis, more than 64 combinations.
std::vector<SearchAxis> parse_search(const std::string& spec);

struct SearchTrial {
  std::vector<std::pair<std::string, double>> point;  // axis -> value, in axis order
  BprConfig config;
  double ndcg = 0;
  size_t users = 0;
};

// NDCG@k of `model`'s exact top k for the first `max_users` users of `test` (0 = all,
// ascending id), the users' `train` items skipped.
double next_item_ndcg(const BprModel& model, const std::vector<Rating>& train, const std::vector<Rating>& test,
                      size_t k, size_t max_users, size_t* users = nullptr);

// Trials in grid order (the last axis varies fastest); `on_trial` sees each as it ends.
std::vector<SearchTrial> search_bpr(const std::vector<Rating>& train, const std::vector<Rating>& test,
                                    const BprConfig& base, const std::vector<SearchAxis>& axes, size_t k,
                                    size_t max_users, const std::function<void(const SearchTrial&)>& on_trial = {});

// The best trial's index (ties: the first).
size_t best_trial(const std::vector<SearchTrial>& trials);

}  // namespace reco_offline
