// An optional popularity prior folded into the served vectors. The
// factorization learns, from ratings, how much a user would like a film they
// watch; which films they watch at all is driven heavily by popularity, and
// an inner-product index can add that for free: append one dimension holding
// s * log(1 + popularity) to every item and alpha / s to every user, and the
// served score becomes <u, v> + alpha * log(1 + popularity). The scale s keeps
// the extra coordinate the size of the others, so item-to-item similarity
// stays about taste. alpha is chosen on the test part of the split (never the
// held-out part) by hit rate at K.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "reco_offline/factor_files.hpp"
#include "reco_offline/mf_trainer.hpp"

namespace reco_offline {

struct PriorChoice {
  double alpha = 0;
  std::vector<std::pair<double, double>> tried;  // alpha, hit rate on the test part
};

// Hit rate at k on `test` (relevant = a user's test items, excluded = their
// train items) of <u, v> + alpha * log(1 + train count), for each alpha of the
// grid; at most `max_users` users (the first by id) are scored.
PriorChoice choose_popularity_prior(const MfModel& model, const std::vector<Rating>& train,
                                    const std::vector<Rating>& test, const std::vector<double>& grid, size_t k = 10,
                                    size_t max_users = 3000);

// Appends the prior dimension to both tables (see above). Items missing from
// `popularity` count as 0. Returns the scale s used.
float append_popularity_prior(FactorTable& users, FactorTable& items,
                              const std::unordered_map<std::string, double>& popularity, double alpha);

}  // namespace reco_offline
