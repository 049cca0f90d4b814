// The ranking model being trained: linear terms, one FM group over every
// field's embedding, and an MLP over the categorical/multi embeddings and the
// dense values, summed into one logit (DeepFM's shape, and exactly the score
// of the model file contract, so that export is a copy, not a conversion).
// The last `n_plain` dense fields (candidate fields) have no embedding: they
// enter by their linear term and the MLP only, as the contract requires.
// All parameters live in one flat float vector: the optimizer, the gradient
// check and the determinism test then see a single array.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "reco_offline/rank_features.hpp"

namespace reco_offline {

struct RankLayout {
  std::vector<uint32_t> cat_rows;    // V + 1 per categorical field
  std::vector<uint32_t> multi_rows;  // V + 1 per multi field
  size_t n_dense = 0;
  size_t n_plain = 0;  // of the dense fields, the last n_plain are outside the FM
  int dim = 16;
  std::vector<int> hidden{64, 32};
  size_t slots() const { return cat_rows.size() + multi_rows.size() + n_dense; }
  size_t mlp_input() const { return (cat_rows.size() + multi_rows.size()) * dim + n_dense; }
};

RankLayout rank_layout(const RankSchema& schema);

// Regularization of one batch's objective:
//   J = mean log loss + (l2 / 2B) * sum over rows of the squared embedding and
//       linear rows each row uses (categorical and multi fields)
//     + (mlp_l2 / 2) * sum of squared MLP weights.
struct RankPenalty {
  float l2 = 0;
  float mlp_l2 = 0;
};

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class RankModel {
 public:
  RankModel() = default;
  // Embeddings ~ N(0, init_sd); MLP weights uniform with the He bound; biases,
  // linear weights and row 0 (unknown values) start at 0.
  RankModel(const RankLayout& layout, uint64_t seed, float init_sd);

  const RankLayout& layout() const { return layout_; }
  std::vector<float>& params() { return params_; }
  const std::vector<float>& params() const { return params_; }

  // Logits of rows idx[0..n).
  void logits(const RankRows& rows, const uint32_t* idx, size_t n, float* out) const;
  // Logits of every row.
  std::vector<float> logits(const RankRows& rows) const;
  // The batch objective J (see RankPenalty) of rows idx[0..n); writes dJ/dparams into grad.
  double loss_and_gradient(const RankRows& rows, const uint32_t* idx, size_t n, const RankPenalty& penalty,
                           std::vector<float>& grad) const;

  // Views of the parameters, for export.
  float bias() const { return params_[0]; }
  const float* cat_linear(size_t f) const { return &params_[cat_lin_[f]]; }
  const float* cat_embed(size_t f) const { return &params_[cat_emb_[f]]; }
  const float* multi_linear(size_t f) const { return &params_[multi_lin_[f]]; }
  const float* multi_embed(size_t f) const { return &params_[multi_emb_[f]]; }
  const float* dense_linear(size_t j) const { return &params_[dense_lin_[j]]; }
  // nullptr for a plain dense field (j >= n_dense - n_plain).
  const float* dense_embed(size_t j) const { return plain(j) ? nullptr : &params_[dense_emb_[j]]; }
  bool plain(size_t j) const { return j + layout_.n_plain >= layout_.n_dense; }
  size_t layers() const { return mlp_w_.size(); }  // hidden layers + the output layer
  const float* mlp_weight(size_t i) const { return &params_[mlp_w_[i]]; }
  const float* mlp_bias(size_t i) const { return &params_[mlp_b_[i]]; }
  int mlp_out(size_t i) const { return i < layout_.hidden.size() ? layout_.hidden[i] : 1; }
  int mlp_in(size_t i) const { return i == 0 ? static_cast<int>(layout_.mlp_input()) : layout_.hidden[i - 1]; }

 private:
  struct Work;
  void forward(const RankRows& rows, const uint32_t* idx, size_t n, Work& w) const;

  RankLayout layout_;
  std::vector<float> params_;
  std::vector<size_t> cat_lin_, cat_emb_, multi_lin_, multi_emb_, dense_lin_, dense_emb_, mlp_w_, mlp_b_;
};

}  // namespace reco_offline
