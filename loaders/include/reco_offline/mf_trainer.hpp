// Logistic matrix factorization of user and item ids: P(like | u, i) =
// sigmoid(<p_u, q_i> + b), trained by SGD on the split's labels (rating > 3),
// which is the recall model of the original pipeline (a dot product of a user
// and an item embedding under log loss). The served score is the plain dot
// product, so the vectors go into an inner-product index unchanged.
// Single-threaded on purpose: same data + same seed -> bit-identical factors.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

#include "reco_offline/dataset.hpp"

namespace reco_offline {

using FactorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct MfConfig {
  int dim = 16;
  int epochs = 10;
  float learning_rate = 0.1f;
  float lr_decay = 0.85f;      // learning rate multiplier per epoch
  float regularization = 0.02f;
  float init_scale = 0.1f;     // initial factors uniform in [-init_scale, init_scale]
  int negatives = 0;           // extra unrated items per rating, labelled 0 (implicit-feedback variant)
  float negative_weight = 1.0f;  // weight of those sampled rows in the loss
  uint64_t seed = 42;
};

struct EpochReport {
  int epoch = 0;
  double loss = 0;        // mean log loss over the epoch's updates
  double train_auc = 0;
  double test_auc = 0;    // 0.5 if there is no test set
  double seconds = 0;
};

struct MfModel {
  std::vector<Id> user_ids;  // row -> id, ascending
  std::vector<Id> item_ids;
  FactorMatrix users;
  FactorMatrix items;
  float bias = 0;
  std::vector<uint32_t> user_train_count;  // rows with no training rating keep their random start
  std::vector<uint32_t> item_train_count;
};

// Trains on `train`, reporting AUC on `train` and `test` after every epoch.
// Users and items of both sets get rows (ascending id order).
MfModel train_mf(const std::vector<Rating>& train, const std::vector<Rating>& test, const MfConfig& config,
                 const std::function<void(const EpochReport&)>& on_epoch = {});

// Scores (dot product + bias) for ratings whose user and item are in the model;
// unknown ids score as the bias alone.
std::vector<float> score_ratings(const MfModel& model, const std::vector<Rating>& ratings);

double rating_auc(const MfModel& model, const std::vector<Rating>& ratings);

}  // namespace reco_offline
