// The original pipeline's split: each user's ratings in time order; the last
// `holdout` ratings are the "online" set (what the served recommendations are
// judged against); of the rest, the first `train_fraction` train and the
// remainder test. Ties in time are ordered by item id so the split is a pure
// function of the data.
#pragma once

#include <vector>

#include "reco_offline/dataset.hpp"

namespace reco_offline {

struct SplitConfig {
  size_t holdout = 10;
  double train_fraction = 0.8;
};

struct TimeSplit {
  // Each sorted by (user, time, item).
  std::vector<Rating> train;
  std::vector<Rating> test;
  std::vector<Rating> holdout;
};

// Sorts by (user, time, item) in place.
void sort_by_user_time(std::vector<Rating>& ratings);

// A user with no more than `holdout` ratings has all of them held out; the
// train count of the rest is floor(train_fraction * rest).
TimeSplit split_by_time(std::vector<Rating> ratings, const SplitConfig& config);

}  // namespace reco_offline
