// Training of the ranking model: mini-batch Adam on the batch objective of
// RankModel (log loss + L2), rows in a fresh seeded order every epoch, test
// AUC after every epoch, and early stopping on it, or on a metric the caller
// gives (the candidate ranker: served NDCG), keeping the best epoch's parameters. Single-threaded with fixed summation orders: the same
// rows, configuration and seed give bit-identical parameters.
#pragma once

#include <cstdint>
#include <functional>

#include "reco_offline/rank_model.hpp"

namespace reco_offline {

struct RankConfig {
  int epochs = 20;
  int patience = 2;          // epochs without a better test AUC before stopping (0: never stop early)
  size_t batch = 256;
  float learning_rate = 2e-3f;
  float lr_decay = 0.5f;     // learning rate multiplier after every epoch
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
  RankPenalty penalty{1e-4f, 0.0f};
  float init_sd = 0.01f;
  uint64_t seed = 42;
  bool train_auc = true;     // also report AUC on the training rows (one more pass per epoch)
};

struct RankEpoch {
  int epoch = 0;
  double loss = 0;       // mean batch objective over the epoch
  double train_auc = 0;  // 0 when not computed
  double test_auc = 0;
  double metric = 0;     // the stopping metric, when one is given
  double seconds = 0;    // the training pass alone
  bool best = false;
};

struct RankResult {
  RankModel model;       // the best epoch's parameters
  int best_epoch = 0;
  double best_test_auc = 0;
  double best_metric = 0;  // with a stopping metric
};

// Higher is better. Called once per epoch on the current parameters.
using StopMetric = std::function<double(const RankModel&)>;

// With `metric`, early stopping follows it instead of the test AUC.
RankResult train_rank(const RankLayout& layout, const RankRows& train, const RankRows& test, const RankConfig& config,
                      const std::function<void(const RankEpoch&)>& on_epoch = {}, const StopMetric& metric = {});

double rank_auc(const RankModel& model, const RankRows& rows);

}  // namespace reco_offline
