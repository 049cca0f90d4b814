// ROC AUC via the Mann-Whitney rank sum (see auc.hpp).
#include "reco_offline/auc.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace reco_offline {

double roc_auc(const std::vector<float>& scores, const std::vector<uint8_t>& labels) {
  if (scores.size() != labels.size()) throw std::invalid_argument("roc_auc: scores and labels differ in length");
  const size_t n = scores.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  uint64_t positives = 0;
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    uint64_t pos_in_group = 0;
    while (j < n && scores[order[j]] == scores[order[i]]) pos_in_group += labels[order[j++]] ? 1 : 0;
    const double average_rank = 0.5 * (static_cast<double>(i + 1) + static_cast<double>(j));
    positive_rank_sum += average_rank * static_cast<double>(pos_in_group);
    positives += pos_in_group;
    i = j;
  }
  const uint64_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  const double p = static_cast<double>(positives);
  return (positive_rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

}  // namespace reco_offline
