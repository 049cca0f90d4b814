// Per-user time split (see time_split.hpp).
#include "reco_offline/time_split.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace reco_offline {

void sort_by_user_time(std::vector<Rating>& ratings) {
  // Stable, on (user, time) only: ratings of one user in the same second keep
  // the order they came in (the file's), as the original pipeline's split does.
  std::stable_sort(ratings.begin(), ratings.end(), [](const Rating& a, const Rating& b) {
    if (a.user != b.user) return a.user < b.user;
    return a.time < b.time;
  });
}

TimeSplit split_by_time(std::vector<Rating> ratings, const SplitConfig& config) {
  if (!(config.train_fraction >= 0.0 && config.train_fraction <= 1.0)) {
    throw std::invalid_argument("train fraction must be within [0, 1]");
  }
  sort_by_user_time(ratings);
  TimeSplit split;
  split.holdout.reserve(ratings.size() / 10);
  split.train.reserve(ratings.size());
  size_t begin = 0;
  while (begin < ratings.size()) {
    size_t end = begin;
    while (end < ratings.size() && ratings[end].user == ratings[begin].user) ++end;
    const size_t n = end - begin;
    const size_t held = std::min(config.holdout, n);
    const size_t rest = n - held;
    // The ceiling, as the original: 0.8 of 13 trains 11. The epsilon keeps a
    // product that rounding lifts just above an integer (f * rest = 8.000...01)
    // from counting one more.
    const auto n_train = std::min(rest, static_cast<size_t>(std::ceil(config.train_fraction * rest - 1e-9)));
    const size_t train_end = begin + n_train;
    const size_t test_end = begin + rest;
    split.train.insert(split.train.end(), ratings.begin() + begin, ratings.begin() + train_end);
    split.test.insert(split.test.end(), ratings.begin() + train_end, ratings.begin() + test_end);
    split.holdout.insert(split.holdout.end(), ratings.begin() + test_end, ratings.begin() + end);
    begin = end;
  }
  return split;
}

}  // namespace reco_offline
