// SGD for the next-item factorization (see bpr_trainer.hpp). Interactions are
// visited in a fresh shuffled order every epoch (our own Fisher-Yates on our own
// PRNG); a negative is any item of the data the user has not interacted with.
#include "reco_offline/bpr_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <stdexcept>
#include <unordered_map>

#include "reco_offline/alias_table.hpp"
#include "reco_offline/prng.hpp"

namespace reco_offline {

namespace {

struct Interaction {
  uint32_t user;
  uint32_t item;
  float weight;
};

std::vector<Id> sorted_unique(std::vector<Id> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

uint32_t row_in(const std::vector<Id>& ids, Id id) {
  return static_cast<uint32_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
}

float dot(const float* a, const float* b, size_t n) {
  float s = 0;
  for (size_t k = 0; k < n; ++k) s += a[k] * b[k];
  return s;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// log(1 + exp(-x)) without overflow.
double softplus_neg(double x) { return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x)); }

}  // namespace

double bpr_pair_loss(std::span<const float> p, std::span<const float> qi, std::span<const float> qj, float bi,
                     float bj, float weight, float reg, float bias_reg) {
  const size_t d = p.size();
  double x = static_cast<double>(bi) - bj, l2 = 0;
  for (size_t k = 0; k < d; ++k) {
    x += static_cast<double>(p[k]) * (static_cast<double>(qi[k]) - qj[k]);
    l2 += static_cast<double>(p[k]) * p[k] + static_cast<double>(qi[k]) * qi[k] + static_cast<double>(qj[k]) * qj[k];
  }
  return weight * softplus_neg(x) + 0.5 * reg * l2 + 0.5 * bias_reg * (static_cast<double>(bi) * bi + static_cast<double>(bj) * bj);
}

float bpr_pair_gradient(std::span<const float> p, std::span<const float> qi, std::span<const float> qj, float bi,
                        float bj, float weight, float reg, float bias_reg, PairGradient& g) {
  const size_t d = p.size();
  g.p.resize(d);
  g.qi.resize(d);
  g.qj.resize(d);
  const float x = dot(p.data(), qi.data(), d) + bi - dot(p.data(), qj.data(), d) - bj;
  const float left = 1.0f / (1.0f + std::exp(x));  // sigmoid(-x)
  const float c = weight * left;                   // -dLoss/dx
  for (size_t k = 0; k < d; ++k) {
    g.p[k] = -c * (qi[k] - qj[k]) + reg * p[k];
    g.qi[k] = -c * p[k] + reg * qi[k];
    g.qj[k] = c * p[k] + reg * qj[k];
  }
  g.bi = -c + bias_reg * bi;
  g.bj = c + bias_reg * bj;
  return left;
}

BprModel train_bpr(const std::vector<Rating>& interactions, const BprConfig& config,
                   const std::function<void(const BprEpochReport&)>& on_epoch) {
  if (config.dim < 1 || config.dim > 4096) throw std::invalid_argument("dim must be within 1..4096");
  if (config.epochs < 0) throw std::invalid_argument("epochs must be >= 0");
  if (!(config.learning_rate > 0)) throw std::invalid_argument("learning rate must be > 0");
  if (config.negatives < 1 || config.negatives > 1000) throw std::invalid_argument("negatives must be within 1..1000");
  if (!(config.regularization >= 0) || !(config.bias_regularization >= 0))
    throw std::invalid_argument("regularization must be >= 0");
  if (!(config.negative_popularity >= 0) || config.negative_popularity > 2)
    throw std::invalid_argument("negative popularity exponent must be within 0..2");

  BprModel model;
  {
    std::vector<Id> u, i;
    u.reserve(interactions.size());
    i.reserve(interactions.size());
    for (const auto& r : interactions) {
      u.push_back(r.user);
      i.push_back(r.item);
    }
    model.user_ids = sorted_unique(std::move(u));
    model.item_ids = sorted_unique(std::move(i));
  }
  const size_t n_users = model.user_ids.size(), n_items = model.item_ids.size();
  const int d = config.dim;
  Rng init(config.seed, 1);
  model.users.resize(static_cast<Eigen::Index>(n_users), d);
  model.items.resize(static_cast<Eigen::Index>(n_items), d);
  for (size_t r = 0; r < n_users; ++r)
    for (int k = 0; k < d; ++k) model.users(r, k) = static_cast<float>(init.uniform(-1, 1)) * config.init_scale;
  for (size_t r = 0; r < n_items; ++r)
    for (int k = 0; k < d; ++k) model.items(r, k) = static_cast<float>(init.uniform(-1, 1)) * config.init_scale;
  model.item_bias.assign(n_items, 0.0f);
  if (interactions.empty() || n_items < 2) return model;

  std::vector<Interaction> rows;
  rows.reserve(interactions.size());
  std::vector<std::vector<uint32_t>> user_items(n_users);
  std::vector<double> count(n_items, 0.0);
  for (const auto& r : interactions) {
    const uint32_t u = row_in(model.user_ids, r.user), i = row_in(model.item_ids, r.item);
    const float w = std::max(0.1f, 1.0f + config.rating_weight * (r.rating - 3.0f) / 2.0f);
    rows.push_back({u, i, w});
    user_items[u].push_back(i);
    count[i] += 1;
  }
  for (auto& v : user_items) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  AliasTable by_count;
  if (config.negative_popularity > 0) {
    std::vector<double> w(n_items);
    for (size_t i = 0; i < n_items; ++i) w[i] = std::pow(count[i], static_cast<double>(config.negative_popularity));
    by_count = AliasTable(w);
  }
  // A user who has interacted with every item has no negative: skip their rows.
  std::vector<uint8_t> saturated(n_users, 0);
  for (size_t u = 0; u < n_users; ++u) saturated[u] = user_items[u].size() >= n_items;

  Rng rng(config.seed, 2);
  std::vector<uint32_t> order(rows.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<uint32_t>(k);
  PairGradient g;
  float lr = config.learning_rate;
  const auto draw_negative = [&](uint32_t u) {
    const auto& mine = user_items[u];
    for (;;) {
      const uint32_t j = config.negative_popularity > 0 ? by_count.draw(rng) : static_cast<uint32_t>(rng.below(n_items));
      if (!std::binary_search(mine.begin(), mine.end(), j)) return j;
    }
  };

  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
    double loss = 0, weight_sum = 0;
    for (uint32_t idx : order) {
      const Interaction& r = rows[idx];
      if (saturated[r.user]) continue;
      float* p = model.users.row(r.user).data();
      uint32_t j = draw_negative(r.user);
      if (config.negatives > 1) {
        float best = dot(p, model.items.row(j).data(), d) + model.item_bias[j];
        for (int n = 1; n < config.negatives; ++n) {
          const uint32_t c = draw_negative(r.user);
          const float s = dot(p, model.items.row(c).data(), d) + model.item_bias[c];
          if (s > best) best = s, j = c;
        }
      }
      float* qi = model.items.row(r.item).data();
      float* qj = model.items.row(j).data();
      const std::span<const float> sp(p, d), si(qi, d), sj(qj, d);
      const float left = bpr_pair_gradient(sp, si, sj, model.item_bias[r.item], model.item_bias[j], r.weight,
                                           config.regularization, config.bias_regularization, g);
      loss += r.weight * -std::log(std::max(1.0f - left, 1e-7f));
      weight_sum += r.weight;
      for (int k = 0; k < d; ++k) {
        p[k] -= lr * g.p[k];
        qi[k] -= lr * g.qi[k];
        qj[k] -= lr * g.qj[k];
      }
      model.item_bias[r.item] -= lr * g.bi;
      model.item_bias[j] -= lr * g.bj;
    }
    lr *= config.lr_decay;
    if (on_epoch) {
      BprEpochReport report;
      report.epoch = epoch;
      report.loss = weight_sum > 0 ? loss / weight_sum : 0;
      report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      report.cpu_seconds = thread_cpu_seconds() - c0;
      on_epoch(report);
    }
  }
  return model;
}

FactorTable bpr_item_factors(const BprModel& model) {
  FactorTable t;
  const auto n = static_cast<Eigen::Index>(model.item_ids.size());
  const auto d = model.items.cols();
  t.vectors.resize(n, d + 1);
  for (Eigen::Index r = 0; r < n; ++r) {
    t.ids.push_back(std::to_string(model.item_ids[static_cast<size_t>(r)]));
    t.vectors.row(r).head(d) = model.items.row(r);
    t.vectors(r, d) = model.item_bias[static_cast<size_t>(r)];
  }
  return t;
}

FactorTable bpr_user_factors(const BprModel& model) {
  FactorTable t;
  const auto n = static_cast<Eigen::Index>(model.user_ids.size());
  const auto d = model.users.cols();
  t.vectors.resize(n, d + 1);
  for (Eigen::Index r = 0; r < n; ++r) {
    t.ids.push_back(std::to_string(model.user_ids[static_cast<size_t>(r)]));
    t.vectors.row(r).head(d) = model.users.row(r);
    t.vectors(r, d) = 1.0f;
  }
  return t;
}

}  // namespace reco_offline
