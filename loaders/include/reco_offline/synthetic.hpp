// A deterministic MovieLens-like data set of any size, for the demo, the tests
// and the benchmarks. Its shape follows MovieLens 1M (demographics, genres,
// 1-5 star distribution, per-user activity, time span) and its ratings come
// from a planted latent structure, so that a factorization has something real
// to find and the evaluation has something to measure:
//   - users have a taste vector built from favourite genres plus gender/age
//     effects, a rating bias, and a slow drift of taste along their history;
//   - items have a vector from their genres plus noise, a quality bias and a
//     heavy-tailed popularity;
//   - which items a user rates depends on popularity and taste; popular items
//     tend to be rated first (as with MovieLens' sign-up page); the stars are
//     the latent score plus noise, cut at the 1M star proportions.
// Same config and seed -> byte-identical files on any machine.
#pragma once

#include <cstdint>
#include <vector>

#include "reco_offline/dataset.hpp"

namespace reco_offline {

struct SyntheticConfig {
  uint32_t users = 6040;
  uint32_t items = 3706;
  uint64_t ratings = 1000209;  // target total; the result is within a few percent
  uint64_t seed = 42;
  uint32_t min_ratings_per_user = 20;
  int latent_dim = 8;
  double rating_noise = 0.65;  // sd of the noise added to the latent score
  double taste_drift = 0.5;    // size of the change of taste over a history
  double taste_selection = 4.0;  // how much taste (vs. popularity) decides what gets rated
  double popularity_skew = 1.6;  // spread of log-popularity
  int64_t first_time = 956703932;   // 2000-04-25, the first 1M rating
  int64_t last_time = 1046454590;   // 2003-02-28, the last one
};

// The hidden structure behind a generated data set (index = id - 1), for
// tests and for judging how much of it a model recovers.
struct PlantedTruth {
  std::vector<std::vector<double>> user_taste;  // before drift
  std::vector<std::vector<double>> item_vector;
  std::vector<double> item_popularity;
  std::vector<double> item_bias, user_bias;
};

Dataset generate_synthetic(const SyntheticConfig& config, PlantedTruth* truth = nullptr);

}  // namespace reco_offline
