// Hit rate / recall / NDCG at K (see ranking_metrics.hpp).
#include "reco_offline/ranking_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace reco_offline {

void RankingAccumulator::add(const std::vector<std::string>& ranked, const std::unordered_set<std::string>& relevant) {
  if (relevant.empty()) return;
  const size_t n = std::min(k_, ranked.size());
  size_t found = 0;
  double dcg = 0;
  std::unordered_set<std::string> counted;  // a duplicate in the ranking must not count twice
  for (size_t r = 0; r < n; ++r) {
    if (relevant.count(ranked[r]) && counted.insert(ranked[r]).second) {
      ++found;
      dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    }
  }
  double ideal = 0;
  for (size_t r = 0; r < std::min(k_, relevant.size()); ++r) ideal += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  ++users_;
  hits_ += found > 0 ? 1.0 : 0.0;
  recall_ += static_cast<double>(found) / static_cast<double>(relevant.size());
  ndcg_ += ideal > 0 ? dcg / ideal : 0.0;
}

RankingMetrics RankingAccumulator::result() const {
  RankingMetrics m;
  m.users = users_;
  if (users_ == 0) return m;
  m.hit_rate = hits_ / users_;
  m.recall = recall_ / users_;
  m.ndcg = ndcg_ / users_;
  return m;
}

}  // namespace reco_offline
