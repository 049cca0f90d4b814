// The two relevance definitions reco-eval reports, on planted held-out ratings
// small enough to score by hand: all held-out ratings relevant, and only the
// liked ones (rating > 3, the original pipeline's definition).
#include <gtest/gtest.h>

#include <cmath>

#include "reco_offline/held_out_relevance.hpp"

using namespace reco_offline;

namespace {

using Set = std::unordered_set<std::string>;

double g(size_t rank) { return 1.0 / std::log2(static_cast<double>(rank) + 1.0); }  // gain at 1-based rank

}  // namespace

TEST(HeldOutRelevance, UsersGetBothSets) {
  // User 7 has a 5, a 2, a 4 and a 3 held out; user 2 only dislikes; user 9 one like.
  const std::vector<Rating> holdout = {{7, 10, 100, 5}, {7, 11, 101, 2}, {2, 30, 50, 1}, {7, 12, 102, 4},
                                       {2, 31, 51, 3}, {9, 40, 10, 3.5f}, {7, 13, 103, 3}};
  const auto users = held_out_users(holdout);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0].id, "2");  // ascending user id
  EXPECT_EQ(users[0].all, (Set{"30", "31"}));
  EXPECT_TRUE(users[0].liked.empty());  // a 3 is not liked
  EXPECT_EQ(users[1].id, "7");
  EXPECT_EQ(users[1].all, (Set{"10", "11", "12", "13"}));
  EXPECT_EQ(users[1].liked, (Set{"10", "12"}));
  EXPECT_EQ(users[2].liked, (Set{"40"}));  // half stars: 3.5 > 3
  const auto first_two = held_out_users(holdout, 2);
  ASSERT_EQ(first_two.size(), 2u);
  EXPECT_EQ(first_two[1].id, "7");
}

TEST(HeldOutRelevance, MetricsUnderBothDefinitions) {
  const std::vector<Rating> holdout = {{1, 10, 1, 5}, {1, 11, 2, 2}, {1, 12, 3, 4},  // user 1: liked 10, 12
                                       {2, 20, 1, 1}, {2, 21, 2, 2}};                 // user 2: nothing liked
  const auto users = held_out_users(holdout);
  ASSERT_EQ(users.size(), 2u);
  HeldOutAccumulator acc(3);
  acc.add({"11", "10", "99", "12"}, users[0]);  // 12 is 4th: outside K = 3
  acc.add({"21", "98", "97"}, users[1]);
  const HeldOutMetrics m = acc.result();

  // All held out: user 1 finds 11 (rank 1) and 10 (rank 2) of 3; user 2 finds 21 (rank 1) of 2.
  EXPECT_EQ(m.all.users, 2u);
  EXPECT_DOUBLE_EQ(m.all.hit_rate, 1.0);
  EXPECT_DOUBLE_EQ(m.all.recall, (2.0 / 3 + 1.0 / 2) / 2);
  const double ndcg1 = (g(1) + g(2)) / (g(1) + g(2) + g(3)), ndcg2 = g(1) / (g(1) + g(2));
  EXPECT_NEAR(m.all.ndcg, (ndcg1 + ndcg2) / 2, 1e-12);

  // Liked only: user 2 has nothing liked and is not counted; user 1 finds 10 (rank 2) of {10, 12}.
  EXPECT_EQ(m.liked.users, 1u);
  EXPECT_DOUBLE_EQ(m.liked.hit_rate, 1.0);
  EXPECT_DOUBLE_EQ(m.liked.recall, 0.5);
  EXPECT_NEAR(m.liked.ndcg, g(2) / (g(1) + g(2)), 1e-12);
}

TEST(HeldOutRelevance, ADislikedHitIsNoLikedHit) {
  const std::vector<Rating> holdout = {{1, 10, 1, 1}, {1, 11, 2, 5}};
  const auto users = held_out_users(holdout);
  HeldOutAccumulator acc(1);
  acc.add({"10"}, users[0]);
  const HeldOutMetrics m = acc.result();
  EXPECT_DOUBLE_EQ(m.all.hit_rate, 1.0);
  EXPECT_DOUBLE_EQ(m.liked.hit_rate, 0.0);
  EXPECT_DOUBLE_EQ(m.liked.ndcg, 0.0);
  EXPECT_EQ(m.liked.users, 1u);
}
