// The time split: per user, held-out = the last 10, train = the first 80% of
// the rest, test = the remainder; nothing lost, no user's test rating older
// than their train ratings, no held-out rating older than their test ratings.
#include <gtest/gtest.h>

#include <map>

#include "reco_offline/synthetic.hpp"
#include "reco_offline/time_split.hpp"

using namespace reco_offline;

TEST(TimeSplit, CountsPerUser) {
  std::vector<Rating> r;
  for (int k = 0; k < 30; ++k) r.push_back({1, static_cast<Id>(100 + k), 1000 - k, 4});  // reverse order on purpose
  for (int k = 0; k < 7; ++k) r.push_back({2, static_cast<Id>(k + 1), 50 + k, 2});
  for (int k = 0; k < 15; ++k) r.push_back({3, static_cast<Id>(k + 1), 10, 5});  // all in the same second
  const TimeSplit s = split_by_time(r, {});
  std::map<Id, size_t> train, test, hold;
  for (const auto& x : s.train) ++train[x.user];
  for (const auto& x : s.test) ++test[x.user];
  for (const auto& x : s.holdout) ++hold[x.user];
  EXPECT_EQ(hold[1], 10u);
  EXPECT_EQ(train[1], 16u);  // floor(0.8 * 20)
  EXPECT_EQ(test[1], 4u);
  EXPECT_EQ(hold[2], 7u);  // fewer than 10: all held out
  EXPECT_EQ(train[2], 0u);
  EXPECT_EQ(hold[3], 10u);
  EXPECT_EQ(train[3], 4u);  // floor(0.8 * 5)
  EXPECT_EQ(test[3], 1u);
  // Ties in time are ordered by item id: user 3's train part is items 1-4.
  std::vector<Id> u3;
  for (const auto& x : s.train)
    if (x.user == 3) u3.push_back(x.item);
  EXPECT_EQ(u3, (std::vector<Id>{1, 2, 3, 4}));
  // User 1's earliest ratings (the highest item ids, given the reversed times) are in train.
  EXPECT_EQ(s.train.front().item, 129u);
}

TEST(TimeSplit, NoTestRatingOlderThanTrainOnGeneratedData) {
  SyntheticConfig c;
  c.users = 300;
  c.items = 400;
  c.ratings = 30000;
  const Dataset d = generate_synthetic(c);
  SplitConfig cfg;
  const TimeSplit s = split_by_time(d.ratings, cfg);
  EXPECT_EQ(s.train.size() + s.test.size() + s.holdout.size(), d.ratings.size());
  std::map<Id, int64_t> train_max, test_min, test_max, hold_min;
  std::map<Id, size_t> n_train, n_test, n_hold;
  for (const auto& r : s.train) {
    train_max[r.user] = std::max(train_max.count(r.user) ? train_max[r.user] : r.time, r.time);
    ++n_train[r.user];
  }
  for (const auto& r : s.test) {
    test_min[r.user] = std::min(test_min.count(r.user) ? test_min[r.user] : r.time, r.time);
    test_max[r.user] = std::max(test_max.count(r.user) ? test_max[r.user] : r.time, r.time);
    ++n_test[r.user];
  }
  for (const auto& r : s.holdout) {
    hold_min[r.user] = std::min(hold_min.count(r.user) ? hold_min[r.user] : r.time, r.time);
    ++n_hold[r.user];
  }
  size_t checked = 0;
  for (const auto& [u, t] : test_min) {
    ASSERT_TRUE(train_max.count(u));
    EXPECT_LE(train_max[u], t) << "user " << u << " has a test rating older than a train rating";
    EXPECT_LE(test_max[u], hold_min[u]) << "user " << u << " has a held-out rating older than a test rating";
    ++checked;
  }
  EXPECT_GT(checked, 250u);
  for (const auto& [u, h] : n_hold) {
    EXPECT_EQ(h, 10u);
    const size_t rest = n_train[u] + n_test[u];
    EXPECT_EQ(n_train[u], rest * 8 / 10) << "user " << u;
  }
}

TEST(TimeSplit, RejectsBadFraction) {
  SplitConfig cfg;
  cfg.train_fraction = 1.5;
  EXPECT_THROW(split_by_time({}, cfg), std::invalid_argument);
}
