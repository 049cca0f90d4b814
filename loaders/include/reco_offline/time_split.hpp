// The original pipeline's split: each user's ratings in time order; the last
// `holdout` ratings are the "online" set (what the served recommendations are
// judged against); of the rest, the first ceil(`train_fraction` x rest) train
// and the remainder test. Ratings of a user with the same timestamp keep their
// input order (the file's): the sort is stable on time alone, as the original's.
#pragma once

#include <vector>

#include "reco_offline/dataset.hpp"

namespace reco_offline {

struct SplitConfig {
  size_t holdout = 10;
  double train_fraction = 0.8;
};

struct TimeSplit {
  // Each sorted by (user, time), ties in input order.
  std::vector<Rating> train;
  std::vector<Rating> test;
  std::vector<Rating> holdout;
};

// Sorts by (user, time) in place, stable: equal times keep their input order.
void sort_by_user_time(std::vector<Rating>& ratings);

// A user with no more than `holdout` ratings has all of them held out; the
// train count of the rest is ceil(train_fraction * rest).
TimeSplit split_by_time(std::vector<Rating> ratings, const SplitConfig& config);

}  // namespace reco_offline
