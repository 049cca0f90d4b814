// Which held-out ratings count as relevant when a served list is scored. Two
// definitions, both reported side by side by reco-eval:
//   all    every held-out rating, whatever the stars: did the list find what the
//          user rated next;
//   liked  only held-out ratings the original pipeline labels liked (rating > 3,
//          is_positive in dataset.hpp): the original's evaluation.
// A user with held-out ratings but none liked counts under "all" only, so the
// two columns average over different user sets; both counts are reported.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "reco_offline/dataset.hpp"
#include "reco_offline/ranking_metrics.hpp"

namespace reco_offline {

struct HeldOutUser {
  std::string id;
  std::unordered_set<std::string> all;    // every held-out item
  std::unordered_set<std::string> liked;  // the held-out items rated > 3
};

// One entry per user of `holdout`, ascending user id; the first `max_users`
// users only (0 = all).
std::vector<HeldOutUser> held_out_users(const std::vector<Rating>& holdout, size_t max_users = 0);

struct HeldOutMetrics {
  RankingMetrics all;
  RankingMetrics liked;
};

// Scores each ranked list under both definitions.
class HeldOutAccumulator {
 public:
  explicit HeldOutAccumulator(size_t k) : all_(k), liked_(k) {}
  void add(const std::vector<std::string>& ranked, const HeldOutUser& user) {
    all_.add(ranked, user.all);
    liked_.add(ranked, user.liked);  // skips a user with nothing liked
  }
  HeldOutMetrics result() const { return {all_.result(), liked_.result()}; }

 private:
  RankingAccumulator all_, liked_;
};

}  // namespace reco_offline
