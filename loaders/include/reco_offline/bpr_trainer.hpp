// Next-item recall vectors: an implicit-feedback factorization trained to put the
// items a user rated above the rest of the catalog (Bayesian personalized ranking
// with sampled negatives), rather than to tell liked from disliked among rated items
// as the logistic model does. Every rating is an interaction; the stars may weight it.
//   score(u, i) = <p_u, q_i> + b_i
// The item bias b_i is where popularity lives: with uniform negatives an item rated
// by many users is a positive far more often than a negative, so b_i learns how much
// "what everyone watches" decides what a user watches next. Served through an
// inner-product index by exporting [q_i, b_i] and [p_u, 1] (see bpr_user_factors).
// With `negatives` > 1 each step samples that many candidates and trains against the
// highest-scoring one, an approximation of a WARP-style rank loss that spends the
// updates on the items that would actually outrank the positive.
// Single-threaded on purpose: same data + same seed -> bit-identical vectors.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "reco_offline/dataset.hpp"
#include "reco_offline/factor_files.hpp"
#include "reco_offline/mf_trainer.hpp"

namespace reco_offline {

struct BprConfig {
  int dim = 32;
  int epochs = 20;
  float learning_rate = 0.05f;
  float lr_decay = 0.95f;            // learning rate multiplier per epoch
  float regularization = 0.005f;     // L2 on p_u, q_i, q_j per step
  float bias_regularization = 0.001f;  // L2 on b_i, b_j per step
  float init_scale = 0.1f;           // initial factors uniform in [-init_scale, init_scale]
  int negatives = 5;                 // candidates per step; the highest-scoring one is trained against
                                     // (5 serves NDCG@50 0.169 against 0.159 for 1: bench/RESULTS.md)
  float rating_weight = 0.0f;        // loss weight 1 + rating_weight * (stars - 3) / 2 (floored at 0.1)
  float negative_popularity = 0.0f;  // negatives drawn with probability ~ count^this (0 = uniform)
  uint64_t seed = 42;
};

struct BprEpochReport {
  int epoch = 0;
  double loss = 0;  // mean weighted pair loss (without the L2 terms) over the epoch
  double seconds = 0;      // wall time
  double cpu_seconds = 0;  // this thread's CPU time (what the epoch costs on a busy machine)
};

struct BprModel {
  std::vector<Id> user_ids;  // row -> id, ascending
  std::vector<Id> item_ids;
  FactorMatrix users;
  FactorMatrix items;
  std::vector<float> item_bias;
};

// One (user, positive, negative) step's loss and gradient, exposed so that the
// gradient can be checked against finite differences; the trainer uses exactly these.
//   x = <p, qi> + bi - <p, qj> - bj
//   loss = -w log sigmoid(x) + reg/2 (|p|^2 + |qi|^2 + |qj|^2) + bias_reg/2 (bi^2 + bj^2)
struct PairGradient {
  std::vector<float> p, qi, qj;
  float bi = 0, bj = 0;
};
double bpr_pair_loss(std::span<const float> p, std::span<const float> qi, std::span<const float> qj, float bi,
                     float bj, float weight, float reg, float bias_reg);
// Fills `g` (resized to the dimension); returns sigmoid(-x), the share of the pair left to learn.
float bpr_pair_gradient(std::span<const float> p, std::span<const float> qi, std::span<const float> qj, float bi,
                        float bj, float weight, float reg, float bias_reg, PairGradient& g);

// Trains on `interactions` (any ratings; duplicates count twice). Users and items of
// `interactions` get rows, ascending id order.
BprModel train_bpr(const std::vector<Rating>& interactions, const BprConfig& config,
                   const std::function<void(const BprEpochReport&)>& on_epoch = {});

// Export for an inner-product index: items [q_i, b_i], users [p_u, 1].
FactorTable bpr_item_factors(const BprModel& model);
FactorTable bpr_user_factors(const BprModel& model);

}  // namespace reco_offline
