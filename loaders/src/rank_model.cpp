// Forward and backward pass of the ranking model (see rank_model.hpp). A batch
// is processed as matrices (rows x slots*dim embeddings, rows x width
// activations) so the MLP runs as a few matrix products; the sparse parts
// (embedding lookups, pooling, FM) are plain loops over a batch's rows.
#include "reco_offline/rank_model.hpp"

#include <cmath>
#include <stdexcept>

#include "reco_offline/prng.hpp"

namespace reco_offline {

RankLayout rank_layout(const RankSchema& s) {
  RankLayout l;
  for (const auto& f : s.categorical) l.cat_rows.push_back(static_cast<uint32_t>(f.vocab.size() + 1));
  for (const auto& f : s.multi) l.multi_rows.push_back(static_cast<uint32_t>(f.vocab.size() + 1));
  l.n_dense = s.dense.size();
  // Candidate fields come last among the dense fields (make_candidate_schema orders them so).
  for (size_t j = 0; j < s.dense.size(); ++j) {
    if (s.dense[j].side == "candidate") ++l.n_plain;
    else if (l.n_plain) throw std::invalid_argument("candidate fields must follow the other dense fields");
  }
  l.dim = s.dim;
  l.hidden = s.hidden;
  return l;
}

struct RankModel::Work {
  RowMatrix E;                // n x slots*d
  RowMatrix S;                // n x d
  std::vector<RowMatrix> A;   // A[0] = z, A[i] = hidden layer i output
  Eigen::VectorXf lin, fm, logit;
};

RankModel::RankModel(const RankLayout& layout, uint64_t seed, float init_sd) : layout_(layout) {
  if (layout.dim < 1 || layout.dim > 1024) throw std::invalid_argument("embedding dim must be within 1..1024");
  for (int h : layout.hidden)
    if (h < 1 || h > 65536) throw std::invalid_argument("MLP layer sizes must be within 1..65536");
  const size_t d = static_cast<size_t>(layout.dim);
  size_t at = 1;  // params_[0] = bias
  const auto take = [&](size_t count) {
    const size_t p = at;
    at += count;
    return p;
  };
  for (uint32_t v : layout.cat_rows) {
    cat_lin_.push_back(take(v));
    cat_emb_.push_back(take(v * d));
  }
  for (uint32_t v : layout.multi_rows) {
    multi_lin_.push_back(take(v));
    multi_emb_.push_back(take(v * d));
  }
  if (layout.n_plain > layout.n_dense) throw std::invalid_argument("more plain dense fields than dense fields");
  for (size_t j = 0; j < layout.n_dense; ++j) {
    dense_lin_.push_back(take(1));
    dense_emb_.push_back(j + layout.n_plain >= layout.n_dense ? 0 : take(d));
  }
  const size_t L = layout.hidden.size();
  for (size_t i = 0; i <= L; ++i) {
    mlp_w_.push_back(take(static_cast<size_t>(mlp_out(i)) * mlp_in(i)));
    mlp_b_.push_back(take(static_cast<size_t>(mlp_out(i))));
  }
  params_.assign(at, 0.0f);

  Rng rng(seed, 11);
  const auto normal_rows = [&](size_t offset, size_t rows, size_t first_row) {
    for (size_t r = first_row; r < rows; ++r)
      for (size_t k = 0; k < d; ++k) params_[offset + r * d + k] = static_cast<float>(rng.normal() * init_sd);
  };
  for (size_t f = 0; f < layout.cat_rows.size(); ++f) normal_rows(cat_emb_[f], layout.cat_rows[f], 1);
  for (size_t f = 0; f < layout.multi_rows.size(); ++f) normal_rows(multi_emb_[f], layout.multi_rows[f], 1);
  for (size_t j = 0; j + layout.n_plain < layout.n_dense; ++j) normal_rows(dense_emb_[j], 1, 0);
  for (size_t i = 0; i <= L; ++i) {
    const double bound = std::sqrt(6.0 / mlp_in(i));
    const size_t count = static_cast<size_t>(mlp_out(i)) * mlp_in(i);
    for (size_t k = 0; k < count; ++k) params_[mlp_w_[i] + k] = static_cast<float>(rng.uniform(-bound, bound));
  }
}

void RankModel::forward(const RankRows& rows, const uint32_t* idx, size_t n, Work& w) const {
  const int d = layout_.dim;
  const size_t nc = layout_.cat_rows.size(), nm = layout_.multi_rows.size(), nd = layout_.n_dense;
  if (rows.n_cat != nc || rows.n_multi != nm || rows.n_dense != nd) {
    throw std::invalid_argument("rows do not match the model's fields");
  }
  const size_t slots = layout_.slots();
  const auto N = static_cast<Eigen::Index>(n);
  w.E.resize(N, static_cast<Eigen::Index>(slots * d));
  w.S.resize(N, d);
  w.lin.resize(N);
  w.fm.resize(N);
  const size_t L = layout_.hidden.size();
  w.A.resize(L + 1);
  w.A[0].resize(N, static_cast<Eigen::Index>(layout_.mlp_input()));

  for (size_t r = 0; r < n; ++r) {
    const size_t row = idx[r];
    float* e = w.E.row(static_cast<Eigen::Index>(r)).data();
    float lin = 0;
    size_t slot = 0;
    for (size_t f = 0; f < nc; ++f, ++slot) {
      const uint32_t v = rows.cat[row * nc + f];
      if (v >= layout_.cat_rows[f]) throw std::out_of_range("categorical row out of range");
      lin += params_[cat_lin_[f] + v];
      const float* src = &params_[cat_emb_[f] + static_cast<size_t>(v) * d];
      for (int k = 0; k < d; ++k) e[slot * d + k] = src[k];
    }
    for (size_t f = 0; f < nm; ++f, ++slot) {
      const uint32_t b = rows.multi_offsets[row * nm + f], end = rows.multi_offsets[row * nm + f + 1];
      const float inv = 1.0f / static_cast<float>(end - b);
      float* dst = e + slot * d;
      for (int k = 0; k < d; ++k) dst[k] = 0;
      float l = 0;
      for (uint32_t q = b; q < end; ++q) {
        const uint32_t v = rows.multi_rows[q];
        if (v >= layout_.multi_rows[f]) throw std::out_of_range("multi row out of range");
        l += params_[multi_lin_[f] + v];
        const float* src = &params_[multi_emb_[f] + static_cast<size_t>(v) * d];
        for (int k = 0; k < d; ++k) dst[k] += src[k];
      }
      lin += l * inv;
      for (int k = 0; k < d; ++k) dst[k] *= inv;
    }
    for (size_t j = 0; j < nd; ++j, ++slot) {
      const float x = rows.dense[row * nd + j];
      lin += x * params_[dense_lin_[j]];
      if (plain(j)) {  // outside the FM: a zero slot adds nothing to its sums
        for (int k = 0; k < d; ++k) e[slot * d + k] = 0;
        continue;
      }
      const float* src = &params_[dense_emb_[j]];
      for (int k = 0; k < d; ++k) e[slot * d + k] = x * src[k];
    }
    float* s = w.S.row(static_cast<Eigen::Index>(r)).data();
    float squares = 0;
    for (int k = 0; k < d; ++k) s[k] = 0;
    for (size_t q = 0; q < slots; ++q)
      for (int k = 0; k < d; ++k) {
        s[k] += e[q * d + k];
        squares += e[q * d + k] * e[q * d + k];
      }
    float total = 0;
    for (int k = 0; k < d; ++k) total += s[k] * s[k];
    w.fm[static_cast<Eigen::Index>(r)] = 0.5f * (total - squares);
    w.lin[static_cast<Eigen::Index>(r)] = lin;
    float* z = w.A[0].row(static_cast<Eigen::Index>(r)).data();
    const size_t embedded = (nc + nm) * d;
    for (size_t k = 0; k < embedded; ++k) z[k] = e[k];
    for (size_t j = 0; j < nd; ++j) z[embedded + j] = rows.dense[row * nd + j];
  }

  for (size_t i = 0; i < L; ++i) {
    const Eigen::Map<const RowMatrix> W(&params_[mlp_w_[i]], mlp_out(i), mlp_in(i));
    const Eigen::Map<const Eigen::RowVectorXf> b(&params_[mlp_b_[i]], mlp_out(i));
    w.A[i + 1].noalias() = w.A[i] * W.transpose();
    w.A[i + 1].rowwise() += b;
    w.A[i + 1] = w.A[i + 1].cwiseMax(0.0f);
  }
  const Eigen::Map<const RowMatrix> W(&params_[mlp_w_[L]], 1, mlp_in(L));
  w.logit.noalias() = w.A[L] * W.transpose();
  w.logit.array() += params_[mlp_b_[L]] + params_[0];
  w.logit += w.lin + w.fm;
}

void RankModel::logits(const RankRows& rows, const uint32_t* idx, size_t n, float* out) const {
  Work w;
  forward(rows, idx, n, w);
  for (size_t r = 0; r < n; ++r) out[r] = w.logit[static_cast<Eigen::Index>(r)];
}

std::vector<float> RankModel::logits(const RankRows& rows) const {
  std::vector<float> out(rows.size());
  std::vector<uint32_t> idx;
  const size_t chunk = 4096;
  for (size_t b = 0; b < rows.size(); b += chunk) {
    const size_t n = std::min(chunk, rows.size() - b);
    idx.resize(n);
    for (size_t k = 0; k < n; ++k) idx[k] = static_cast<uint32_t>(b + k);
    logits(rows, idx.data(), n, out.data() + b);
  }
  return out;
}

double RankModel::loss_and_gradient(const RankRows& rows, const uint32_t* idx, size_t n, const RankPenalty& penalty,
                                    std::vector<float>& grad) const {
  grad.assign(params_.size(), 0.0f);
  if (n == 0) return 0;
  Work w;
  forward(rows, idx, n, w);
  const int d = layout_.dim;
  const size_t nc = layout_.cat_rows.size(), nm = layout_.multi_rows.size(), nd = layout_.n_dense;
  const size_t L = layout_.hidden.size();
  const auto N = static_cast<Eigen::Index>(n);
  const float inv_n = 1.0f / static_cast<float>(n);

  // Log loss and its derivative with respect to each logit.
  double loss = 0;
  Eigen::VectorXf g(N);
  for (Eigen::Index r = 0; r < N; ++r) {
    const float z = w.logit[r];
    const float y = rows.label[idx[r]];
    loss += std::max(z, 0.0f) - z * y + std::log1p(std::exp(-std::abs(z)));
    const float p = z >= 0 ? 1.0f / (1.0f + std::exp(-z)) : std::exp(z) / (1.0f + std::exp(z));
    g[r] = (p - y) * inv_n;
  }
  loss *= inv_n;
  grad[0] = g.sum();

  // MLP, from the output layer down; D = dJ/d(pre-activation) of the current layer.
  RowMatrix D = g;
  RowMatrix dZ;
  for (size_t i = L + 1; i-- > 0;) {
    const Eigen::Map<const RowMatrix> W(&params_[mlp_w_[i]], mlp_out(i), mlp_in(i));
    Eigen::Map<RowMatrix> gW(&grad[mlp_w_[i]], mlp_out(i), mlp_in(i));
    Eigen::Map<Eigen::RowVectorXf> gb(&grad[mlp_b_[i]], mlp_out(i));
    gW.noalias() = D.transpose() * w.A[i];
    if (penalty.mlp_l2 > 0) {
      gW += penalty.mlp_l2 * W;
      loss += 0.5 * penalty.mlp_l2 * static_cast<double>(W.squaredNorm());
    }
    gb = D.colwise().sum();
    if (i > 0) {
      RowMatrix next = D * W;
      D = next.cwiseProduct((w.A[i].array() > 0.0f).cast<float>().matrix());
    } else {
      dZ.noalias() = D * W;
    }
  }

  // Linear terms, FM and the embeddings' share of dZ, row by row.
  const float reg = penalty.l2 * inv_n;
  double reg_loss = 0;
  std::vector<float> de(static_cast<size_t>(d));
  for (size_t r = 0; r < n; ++r) {
    const size_t row = idx[r];
    const float gr = g[static_cast<Eigen::Index>(r)];
    const float* e = w.E.row(static_cast<Eigen::Index>(r)).data();
    const float* s = w.S.row(static_cast<Eigen::Index>(r)).data();
    const float* dz = dZ.row(static_cast<Eigen::Index>(r)).data();
    size_t slot = 0;
    const auto slot_grad = [&](size_t q, bool in_mlp) {
      for (int k = 0; k < d; ++k) de[k] = gr * (s[k] - e[q * d + k]) + (in_mlp ? dz[q * d + k] : 0.0f);
    };
    for (size_t f = 0; f < nc; ++f, ++slot) {
      const uint32_t v = rows.cat[row * nc + f];
      slot_grad(slot, true);
      const size_t lp = cat_lin_[f] + v, ep = cat_emb_[f] + static_cast<size_t>(v) * d;
      grad[lp] += gr + reg * params_[lp];
      reg_loss += params_[lp] * params_[lp];
      for (int k = 0; k < d; ++k) {
        grad[ep + k] += de[k] + reg * params_[ep + k];
        reg_loss += params_[ep + k] * params_[ep + k];
      }
    }
    for (size_t f = 0; f < nm; ++f, ++slot) {
      const uint32_t b = rows.multi_offsets[row * nm + f], end = rows.multi_offsets[row * nm + f + 1];
      const float inv = 1.0f / static_cast<float>(end - b);
      slot_grad(slot, true);
      for (uint32_t q = b; q < end; ++q) {
        const uint32_t v = rows.multi_rows[q];
        const size_t lp = multi_lin_[f] + v, ep = multi_emb_[f] + static_cast<size_t>(v) * d;
        grad[lp] += gr * inv + reg * params_[lp];
        reg_loss += params_[lp] * params_[lp];
        for (int k = 0; k < d; ++k) {
          grad[ep + k] += de[k] * inv + reg * params_[ep + k];
          reg_loss += params_[ep + k] * params_[ep + k];
        }
      }
    }
    for (size_t j = 0; j < nd; ++j, ++slot) {
      const float x = rows.dense[row * nd + j];
      grad[dense_lin_[j]] += gr * x;
      if (plain(j)) continue;
      slot_grad(slot, false);
      for (int k = 0; k < d; ++k) grad[dense_emb_[j] + k] += de[k] * x;
    }
  }
  return loss + 0.5 * reg * reg_loss;
}

}  // namespace reco_offline
