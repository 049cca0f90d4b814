// Adam with early stopping for the ranking model (see rank_trainer.hpp). The
// moments are dense over all parameters (every step decays every row's
// moments, as the common frameworks' dense Adam does), which keeps the update
// a single loop over one array.
#include "reco_offline/rank_trainer.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "reco_offline/auc.hpp"
#include "reco_offline/prng.hpp"

namespace reco_offline {

double rank_auc(const RankModel& model, const RankRows& rows) {
  std::vector<uint8_t> labels(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) labels[r] = rows.label[r] > 0.5f ? 1 : 0;
  return roc_auc(model.logits(rows), labels);
}

RankResult train_rank(const RankLayout& layout, const RankRows& train, const RankRows& test, const RankConfig& config,
                      const std::function<void(const RankEpoch&)>& on_epoch, const StopMetric& metric) {
  if (config.epochs < 0) throw std::invalid_argument("epochs must be >= 0");
  if (config.batch < 1) throw std::invalid_argument("batch size must be >= 1");
  if (!(config.learning_rate > 0)) throw std::invalid_argument("learning rate must be > 0");
  if (!(config.lr_decay > 0 && config.lr_decay <= 1)) throw std::invalid_argument("learning rate decay must be within (0, 1]");
  if (!(config.penalty.l2 >= 0) || !(config.penalty.mlp_l2 >= 0)) throw std::invalid_argument("L2 must be >= 0");
  if (train.size() == 0) throw std::invalid_argument("no training rows");

  RankResult result;
  RankModel model(layout, config.seed, config.init_sd);
  // Start the bias at the base rate so the first steps are not spent on it.
  double positives = 0;
  for (float y : train.label) positives += y;
  const double rate = std::clamp(positives / static_cast<double>(train.size()), 1e-3, 1 - 1e-3);
  model.params()[0] = static_cast<float>(std::log(rate / (1 - rate)));

  std::vector<float>& p = model.params();
  std::vector<float> grad, m(p.size(), 0.0f), v(p.size(), 0.0f);
  std::vector<uint32_t> order(train.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<uint32_t>(k);
  Rng rng(config.seed, 12);
  double b1t = 1, b2t = 1;
  int stale = 0;
  result.model = model;
  result.best_test_auc = -1;
  double best = -1e300;

  double lr = config.learning_rate;
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
    double loss = 0;
    size_t batches = 0;
    for (size_t b = 0; b < order.size(); b += config.batch) {
      const size_t n = std::min(config.batch, order.size() - b);
      loss += model.loss_and_gradient(train, order.data() + b, n, config.penalty, grad);
      ++batches;
      b1t *= config.beta1;
      b2t *= config.beta2;
      const float step = static_cast<float>(lr * std::sqrt(1 - b2t) / (1 - b1t));
      const float b1 = config.beta1, b2 = config.beta2, eps = config.epsilon;
      for (size_t k = 0; k < p.size(); ++k) {
        m[k] = b1 * m[k] + (1 - b1) * grad[k];
        v[k] = b2 * v[k] + (1 - b2) * grad[k] * grad[k];
        p[k] -= step * m[k] / (std::sqrt(v[k]) + eps);
      }
    }
    lr *= config.lr_decay;
    RankEpoch report;
    report.epoch = epoch;
    report.loss = batches ? loss / static_cast<double>(batches) : 0;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    report.test_auc = test.size() ? rank_auc(model, test) : 0.5;
    if (config.train_auc) report.train_auc = rank_auc(model, train);
    if (metric) report.metric = metric(model);
    const double judged = metric ? report.metric : report.test_auc;
    if (judged > best) {
      best = judged;
      result.best_metric = report.metric;
      result.best_test_auc = report.test_auc;
      result.best_epoch = epoch;
      result.model = model;
      report.best = true;
      stale = 0;
    } else {
      ++stale;
    }
    if (on_epoch) on_epoch(report);
    if (config.patience > 0 && stale >= config.patience) break;
  }
  if (result.best_epoch == 0) {
    result.best_test_auc = test.size() ? rank_auc(model, test) : 0.5;
    if (metric) result.best_metric = metric(model);
  }
  return result;
}

}  // namespace reco_offline
