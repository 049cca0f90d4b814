// The next-item grid search: its spec parser refuses what it cannot run; its offline
// NDCG is 1 for a model that ranks each user's test items first and lower when they are
// ranked last; trials come in grid order, the choice is the best one, and two searches of
// the same data and seed give the same trials.
#include <gtest/gtest.h>

#include <stdexcept>

#include "reco_offline/bpr_search.hpp"
#include "reco_offline/synthetic.hpp"
#include "reco_offline/time_split.hpp"

using namespace reco_offline;

TEST(BprSearch, SpecParserRefusesWhatItCannotRun) {
  const auto axes = parse_search("dim=8,16; negatives=1,5 lr=0.05");
  ASSERT_EQ(axes.size(), 3u);
  EXPECT_EQ(axes[0].name, "dim");
  EXPECT_EQ(axes[0].values, (std::vector<double>{8, 16}));
  EXPECT_EQ(axes[2].values, (std::vector<double>{0.05}));
  for (const char* bad : {"", "dim", "dim=", "=8", "foo=1", "dim=8.5", "dim=0", "negatives=1000", "lr=-1",
                          "lr=abc", "dim=8 dim=16", "dim=1,2,3,4,5,6,7,8 lr=1,2,3,4,5,6,7,8,9", "reg=1,,2"}) {
    EXPECT_THROW(parse_search(bad), std::invalid_argument) << bad;
  }
}

TEST(BprSearch, OfflineNdcgRewardsRankingTheTestItemsFirst) {
  // Two users, four items; dim 1, no bias: scores are p_u * q_i.
  BprModel m;
  m.user_ids = {1, 2};
  m.item_ids = {10, 11, 12, 13};
  m.users.resize(2, 1);
  m.items.resize(4, 1);
  m.users << 1, -1;
  m.items << 4, 3, 2, 1;
  m.item_bias = {0, 0, 0, 0};
  // User 1 ranks 10 > 11 > 12 > 13, user 2 the reverse; 10 is user 1's training item.
  const std::vector<Rating> train{{1, 10, 0, 5}};
  EXPECT_DOUBLE_EQ(next_item_ndcg(m, train, {{1, 11, 1, 5}, {2, 13, 1, 5}}, 1, 0), 1.0);
  EXPECT_LT(next_item_ndcg(m, train, {{1, 13, 1, 5}, {2, 10, 1, 5}}, 4, 0), 0.6);
  size_t users = 0;
  next_item_ndcg(m, train, {{1, 11, 1, 5}, {2, 13, 1, 5}}, 1, 1, &users);
  EXPECT_EQ(users, 1u);  // max_users: the first user only
}

TEST(BprSearch, TrialsInGridOrderBestChosenAndRepeatable) {
  SyntheticConfig c;
  c.users = 300;
  c.items = 200;
  c.ratings = 15000;
  c.seed = 3;
  const TimeSplit split = split_by_time(generate_synthetic(c).ratings, {});
  BprConfig base;
  base.epochs = 3;
  const auto axes = parse_search("dim=4,8 negatives=1,3");
  const auto a = search_bpr(split.train, split.test, base, axes, 20, 0);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[1].point, (std::vector<std::pair<std::string, double>>{{"dim", 4}, {"negatives", 3}}));
  EXPECT_EQ(a[2].config.dim, 8);
  EXPECT_EQ(a[2].config.negatives, 1);
  EXPECT_EQ(a[2].config.epochs, 3);  // what the grid does not name keeps the base's value
  const size_t best = best_trial(a);
  for (const auto& t : a) {
    EXPECT_GT(t.users, 0u);
    EXPECT_LE(t.ndcg, a[best].ndcg);
  }
  const auto b = search_bpr(split.train, split.test, base, axes, 20, 0);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].ndcg, b[i].ndcg) << i;
}
