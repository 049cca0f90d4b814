// Ranking metrics and the offline reference rankers, on cases small enough
// to compute by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "reco_offline/offline_rankers.hpp"
#include "reco_offline/ranking_metrics.hpp"

using namespace reco_offline;

TEST(RankingMetrics, HandComputed) {
  RankingAccumulator acc(3);
  // User A: relevant {x, y}; hits at ranks 1 and 3.
  acc.add({"x", "q", "y", "z"}, {"x", "y"});
  // User B: relevant {w}; no hit in the top 3 (w is 4th).
  acc.add({"a", "b", "c", "w"}, {"w"});
  // User C has nothing held out: ignored.
  acc.add({"a"}, {});
  const RankingMetrics m = acc.result();
  EXPECT_EQ(m.users, 2u);
  EXPECT_DOUBLE_EQ(m.hit_rate, 0.5);
  EXPECT_DOUBLE_EQ(m.recall, (1.0 + 0.0) / 2);
  const double dcg_a = 1.0 + 1.0 / std::log2(4.0);
  const double idcg_a = 1.0 + 1.0 / std::log2(3.0);
  EXPECT_NEAR(m.ndcg, (dcg_a / idcg_a + 0.0) / 2, 1e-12);
}

TEST(RankingMetrics, DuplicatesInARankingCountOnce) {
  RankingAccumulator acc(3);
  acc.add({"x", "x", "x"}, {"x", "y"});
  EXPECT_DOUBLE_EQ(acc.result().recall, 0.5);
}

TEST(OfflineRankers, PopularitySkipsSeen) {
  std::vector<ItemRecord> items = {{"a", "", {}, 5, 0, {}}, {"b", "", {}, 9, 0, {}}, {"c", "", {}, 7, 0, {}},
                                   {"d", "", {}, 7, 10, {}}};
  const PopularityRanker r(items);
  EXPECT_EQ(r.top(3, {}), (std::vector<std::string>{"b", "d", "c"}));  // tie on 7: more recent first
  EXPECT_EQ(r.top(2, {"b", "d"}), (std::vector<std::string>{"c", "a"}));
}

TEST(OfflineRankers, VectorTopKMatchesBruteForce) {
  FactorTable t;
  t.ids = {"a", "b", "c", "d", "e"};
  t.vectors.resize(5, 2);
  t.vectors << 1, 0, 0, 1, 0.7f, 0.7f, -1, 0, 0.2f, 0.1f;
  const VectorRanker r(t);
  const float u[2] = {1.0f, 0.5f};
  // scores: a 1.0, b 0.5, c 1.05, d -1, e 0.25
  EXPECT_EQ(r.top(u, 3, {}), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(r.top(u, 3, {"c"}), (std::vector<std::string>{"a", "b", "e"}));
  EXPECT_TRUE(r.top(nullptr, 3, {}).empty());
}
