// The time split: per user, held-out = the last 10, train = the first
// ceil(80%) of the rest, test = the remainder (as the original pipeline);
// ratings in the same second keep their file order; nothing lost, no user's test
// rating older than their train ratings, no held-out rating older than their
// test ratings.
#include <gtest/gtest.h>

#include <map>

#include "reco_offline/synthetic.hpp"
#include "reco_offline/time_split.hpp"

using namespace reco_offline;

namespace {

std::map<Id, size_t> count_per_user(const std::vector<Rating>& part) {
  std::map<Id, size_t> n;
  for (const auto& x : part) ++n[x.user];
  return n;
}

std::vector<Id> items_of(const std::vector<Rating>& part, Id user) {
  std::vector<Id> out;
  for (const auto& x : part)
    if (x.user == user) out.push_back(x.item);
  return out;
}

}  // namespace

TEST(TimeSplit, CountsPerUser) {
  std::vector<Rating> r;
  for (int k = 0; k < 30; ++k) r.push_back({1, static_cast<Id>(100 + k), 1000 - k, 4});  // reverse order on purpose
  for (int k = 0; k < 7; ++k) r.push_back({2, static_cast<Id>(k + 1), 50 + k, 2});
  for (int k = 0; k < 23; ++k) r.push_back({3, static_cast<Id>(k + 1), 10 + k, 5});  // rest 13: odd
  for (int k = 0; k < 11; ++k) r.push_back({4, static_cast<Id>(k + 1), 10 + k, 5});  // rest 1
  const TimeSplit s = split_by_time(r, {});
  auto train = count_per_user(s.train), test = count_per_user(s.test), hold = count_per_user(s.holdout);
  EXPECT_EQ(hold[1], 10u);
  EXPECT_EQ(train[1], 16u);  // 0.8 * 20, exact
  EXPECT_EQ(test[1], 4u);
  EXPECT_EQ(hold[2], 7u);  // fewer than 10: all held out
  EXPECT_EQ(train[2], 0u);
  EXPECT_EQ(test[2], 0u);
  EXPECT_EQ(hold[3], 10u);
  EXPECT_EQ(train[3], 11u);  // ceil(0.8 * 13) = ceil(10.4); the floor would give 10
  EXPECT_EQ(test[3], 2u);
  EXPECT_EQ(hold[4], 10u);
  EXPECT_EQ(train[4], 1u);  // ceil(0.8 * 1): the one rating trains, none is left to test
  EXPECT_EQ(test[4], 0u);
  // User 1's earliest ratings (the highest item ids, given the reversed times) are in train.
  EXPECT_EQ(s.train.front().item, 129u);
  EXPECT_EQ(items_of(s.train, 3), (std::vector<Id>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(items_of(s.test, 3), (std::vector<Id>{12, 13}));
}

TEST(TimeSplit, OtherFractionsRoundUp) {
  std::vector<Rating> r;
  for (int k = 0; k < 17; ++k) r.push_back({1, static_cast<Id>(k + 1), k, 4});  // rest 7
  SplitConfig cfg;
  cfg.train_fraction = 0.5;
  auto s = split_by_time(r, cfg);
  EXPECT_EQ(s.train.size(), 4u);  // ceil(3.5)
  EXPECT_EQ(s.test.size(), 3u);
  cfg.train_fraction = 0.0;
  s = split_by_time(r, cfg);
  EXPECT_EQ(s.train.size(), 0u);
  EXPECT_EQ(s.test.size(), 7u);
  cfg.train_fraction = 1.0;
  s = split_by_time(r, cfg);
  EXPECT_EQ(s.train.size(), 7u);
  EXPECT_EQ(s.test.size(), 0u);
}

TEST(TimeSplit, TiesKeepFileOrder) {
  // User 3 rated 15 items in the same second, listed in the file in the order
  // 9, 2, 14, 5, ... (not by id); user 5's ties sit between distinct times.
  const std::vector<Id> file_order = {9, 2, 14, 5, 11, 1, 15, 7, 3, 12, 6, 13, 4, 10, 8};
  std::vector<Rating> r;
  r.push_back({5, 40, 300, 3});
  for (Id item : file_order) r.push_back({3, item, 10, 5});
  r.push_back({5, 30, 100, 3});
  for (Id item : {23u, 21u, 22u}) r.push_back({5, item, 200, 4});
  for (int k = 0; k < 10; ++k) r.push_back({5, static_cast<Id>(50 + k), 400 + k, 4});
  const TimeSplit s = split_by_time(r, {});
  // User 3: rest 5 -> train the first 4 of the file, test the 5th, hold the last 10.
  EXPECT_EQ(items_of(s.train, 3), (std::vector<Id>{9, 2, 14, 5}));
  EXPECT_EQ(items_of(s.test, 3), (std::vector<Id>{11}));
  EXPECT_EQ(items_of(s.holdout, 3), (std::vector<Id>{1, 15, 7, 3, 12, 6, 13, 4, 10, 8}));
  // User 5: by time 30 (t=100), then 23, 21, 22 (t=200, file order), then 40 (t=300);
  // rest 5 -> train 4, test 1.
  EXPECT_EQ(items_of(s.train, 5), (std::vector<Id>{30, 23, 21, 22}));
  EXPECT_EQ(items_of(s.test, 5), (std::vector<Id>{40}));
  // The sort alone: stable on time, whatever the item ids.
  std::vector<Rating> sorted = r;
  sort_by_user_time(sorted);
  std::vector<Id> u3;
  for (const auto& x : sorted)
    if (x.user == 3) u3.push_back(x.item);
  EXPECT_EQ(u3, file_order);
  EXPECT_EQ(sorted.front().user, 3u);
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
    EXPECT_EQ(n_train[u], (rest * 8 + 9) / 10) << "user " << u;  // ceil(0.8 * rest)
  }
}

TEST(TimeSplit, RejectsBadFraction) {
  SplitConfig cfg;
  cfg.train_fraction = 1.5;
  EXPECT_THROW(split_by_time({}, cfg), std::invalid_argument);
}
