// Top-K metrics for served recommendations against a user's held-out items:
//   hit rate@K  share of users with at least one held-out item in their top K;
//   recall@K    held-out items found / held-out items (averaged over users);
//   NDCG@K      binary-relevance DCG of the top K over the best possible DCG.
// One accumulator per method, fed the same users, so that rows of a table
// (the module, a popularity baseline, the raw factors) compare directly.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

namespace reco_offline {

struct RankingMetrics {
  size_t users = 0;
  double hit_rate = 0;
  double recall = 0;
  double ndcg = 0;
};

class RankingAccumulator {
 public:
  explicit RankingAccumulator(size_t k) : k_(k) {}
  // Only the first K of `ranked` count; users with no relevant items are skipped.
  void add(const std::vector<std::string>& ranked, const std::unordered_set<std::string>& relevant);
  RankingMetrics result() const;
  size_t k() const { return k_; }

 private:
  size_t k_;
  size_t users_ = 0;
  double hits_ = 0, recall_ = 0, ndcg_ = 0;
};

}  // namespace reco_offline
