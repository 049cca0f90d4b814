// SGD for the logistic factorization (see mf_trainer.hpp). Rows are visited in
// a fresh shuffled order every epoch (our own Fisher-Yates on our own PRNG),
// updates use the pre-update values of both vectors.
#include "reco_offline/mf_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "reco_offline/auc.hpp"
#include "reco_offline/prng.hpp"

namespace reco_offline {

namespace {

struct DenseRating {
  uint32_t user;
  uint32_t item;
  float label;
};

std::vector<Id> sorted_ids(const std::vector<Rating>& a, const std::vector<Rating>& b, bool users) {
  std::vector<Id> ids;
  ids.reserve(a.size() + b.size());
  for (const auto* set : {&a, &b})
    for (const auto& r : *set) ids.push_back(users ? r.user : r.item);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::unordered_map<Id, uint32_t> row_of(const std::vector<Id>& ids) {
  std::unordered_map<Id, uint32_t> m;
  m.reserve(ids.size() * 2);
  for (size_t i = 0; i < ids.size(); ++i) m.emplace(ids[i], static_cast<uint32_t>(i));
  return m;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

MfModel train_mf(const std::vector<Rating>& train, const std::vector<Rating>& test, const MfConfig& config,
                 const std::function<void(const EpochReport&)>& on_epoch) {
  if (config.dim < 1 || config.dim > 4096) throw std::invalid_argument("dim must be within 1..4096");
  if (config.epochs < 0) throw std::invalid_argument("epochs must be >= 0");
  if (!(config.learning_rate > 0)) throw std::invalid_argument("learning rate must be > 0");
  if (config.negatives < 0) throw std::invalid_argument("negatives must be >= 0");
  if (!(config.negative_weight > 0)) throw std::invalid_argument("negative weight must be > 0");

  MfModel model;
  model.user_ids = sorted_ids(train, test, true);
  model.item_ids = sorted_ids(train, test, false);
  const auto user_row = row_of(model.user_ids);
  const auto item_row = row_of(model.item_ids);
  const auto n_users = static_cast<Eigen::Index>(model.user_ids.size());
  const auto n_items = static_cast<Eigen::Index>(model.item_ids.size());
  const int d = config.dim;

  Rng init(config.seed, 1);
  model.users.resize(n_users, d);
  model.items.resize(n_items, d);
  for (Eigen::Index r = 0; r < n_users; ++r)
    for (int k = 0; k < d; ++k) model.users(r, k) = static_cast<float>(init.uniform(-1, 1)) * config.init_scale;
  for (Eigen::Index r = 0; r < n_items; ++r)
    for (int k = 0; k < d; ++k) model.items(r, k) = static_cast<float>(init.uniform(-1, 1)) * config.init_scale;

  std::vector<DenseRating> rows;
  rows.reserve(train.size());
  model.user_train_count.assign(n_users, 0);
  model.item_train_count.assign(n_items, 0);
  for (const auto& r : train) {
    const uint32_t u = user_row.at(r.user), i = item_row.at(r.item);
    rows.push_back({u, i, is_positive(r) ? 1.0f : 0.0f});
    ++model.user_train_count[u];
    ++model.item_train_count[i];
  }
  // Start the bias at the base rate so early epochs spend no effort on it.
  double positives = 0;
  for (const auto& r : rows) positives += r.label;
  if (!rows.empty()) {
    const double rate = std::clamp(positives / rows.size(), 1e-3, 1 - 1e-3);
    model.bias = static_cast<float>(std::log(rate / (1 - rate)));
  }
  std::vector<uint32_t> trained_items;
  for (uint32_t i = 0; i < n_items; ++i)
    if (model.item_train_count[i]) trained_items.push_back(i);

  Rng rng(config.seed, 2);
  std::vector<uint32_t> order(rows.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<uint32_t>(k);
  Eigen::VectorXf old_user(d);
  float lr = config.learning_rate;
  const float reg = config.regularization;

  const auto step = [&](uint32_t u, uint32_t i, float label, float weight) {
    auto pu = model.users.row(u);
    auto qi = model.items.row(i);
    const float s = pu.dot(qi) + model.bias;
    const float p = sigmoid(s);
    const float g = weight * (p - label);
    old_user = pu.transpose();
    pu -= lr * (g * qi + reg * pu);
    qi -= lr * (g * old_user.transpose() + reg * qi);
    model.bias -= lr * g;
    const float pc = std::clamp(p, 1e-7f, 1 - 1e-7f);
    return weight * (label > 0.5f ? -std::log(pc) : -std::log(1 - pc));
  };

  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
    double loss = 0;
    size_t updates = 0;
    for (uint32_t idx : order) {
      const DenseRating& r = rows[idx];
      loss += step(r.user, r.item, r.label, 1.0f);
      ++updates;
      for (int n = 0; n < config.negatives && !trained_items.empty(); ++n) {
        loss += step(r.user, trained_items[rng.below(trained_items.size())], 0.0f, config.negative_weight);
        ++updates;
      }
    }
    lr *= config.lr_decay;
    EpochReport report;
    report.epoch = epoch;
    report.loss = updates ? loss / updates : 0;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (on_epoch) {
      report.train_auc = rating_auc(model, train);
      report.test_auc = rating_auc(model, test);
      on_epoch(report);
    }
  }
  return model;
}

std::vector<float> score_ratings(const MfModel& model, const std::vector<Rating>& ratings) {
  // Ids are sorted, so a binary search avoids building hash maps per call.
  const auto find = [](const std::vector<Id>& ids, Id id) -> long {
    const auto it = std::lower_bound(ids.begin(), ids.end(), id);
    return it != ids.end() && *it == id ? static_cast<long>(it - ids.begin()) : -1;
  };
  std::vector<float> scores(ratings.size());
  for (size_t k = 0; k < ratings.size(); ++k) {
    const long u = find(model.user_ids, ratings[k].user);
    const long i = find(model.item_ids, ratings[k].item);
    scores[k] = model.bias + (u >= 0 && i >= 0 ? model.users.row(u).dot(model.items.row(i)) : 0.0f);
  }
  return scores;
}

double rating_auc(const MfModel& model, const std::vector<Rating>& ratings) {
  std::vector<uint8_t> labels(ratings.size());
  for (size_t k = 0; k < ratings.size(); ++k) labels[k] = is_positive(ratings[k]) ? 1 : 0;
  return roc_auc(score_ratings(model, ratings), labels);
}

}  // namespace reco_offline
