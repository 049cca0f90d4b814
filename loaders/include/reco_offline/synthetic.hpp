// A deterministic MovieLens-like data set of any size, for the demo, the tests
// and the benchmarks. Its shape follows MovieLens 1M (demographics, genres,
// 1-5 star distribution, per-user activity, time span) and its ratings come
// from a planted latent structure, so that a factorization has something real
// to find and the evaluation has something to measure:
//   - users have a taste vector built from favourite genres plus gender/age
//     effects, a rating bias, and a slow drift of taste along their history;
//   - items have a vector from their genres plus noise, a quality bias and a
//     heavy-tailed popularity;
//   - item popularity drifts over the time span (slow trends, and new releases
//     that appear and fade);
//   - which item a user rates next depends on their (drifting) taste and on what
//     is popular at that moment; the stars are the latent score plus noise, cut
//     at the 1M star proportions.
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
  double taste_selection = 8.0;  // how much taste (vs. popularity) decides what gets rated
  double popularity_skew = 3.0;  // spread of log-popularity
  // What is popular changes over the span, and what a user rates next follows what is
  // popular at that moment (calibrated so that a plain popularity list is the strong
  // baseline it is on MovieLens 1M; see bench/RESULTS.md).
  double popularity_drift = 1.0;    // sd of an item's log-popularity change over the span
  double new_release_share = 0.1;   // items that appear during the span and then fade
  double release_halflife = 0.15;   // their fade, as a fraction of the span
  int time_buckets = 32;            // popularity is piecewise constant over these
  double uniform_share = 0.03;      // share of picks from the whole catalog
  double popular_share = 0.5;       // share of picks by current popularity alone (x 2 x mainstream)
  double taste_acceptance = 8.0;    // how strongly taste accepts or rejects a pick
  double mainstream_mean = -1.8;    // per user: sigmoid(mean + spread * normal) is how much
  double mainstream_spread = 4.5;   //   they follow popularity (vs. digging through genres)
  double niche_exponent = 0.15;     // digging picks within a genre ~ popularity^this
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
