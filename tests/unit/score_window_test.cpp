// ScoreWindow (reco/score_window.hpp): mean and standard deviation over the latest
// 1,000-2,000 requests, non-finite scores left out, safe under concurrent adds.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "reco/score_window.hpp"

namespace {

using reco::ScoreWindow;

TEST(ScoreWindow, MeanAndDeviationOfTheScores) {
  ScoreWindow w;
  EXPECT_EQ(w.summary().scores, 0u);
  EXPECT_EQ(w.summary().mean, 0.0);
  const std::vector<float> a{1, 2, 3}, b{4, 5};
  w.add(a);
  w.add(b);
  auto s = w.summary();
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.scores, 5u);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_NEAR(s.stddev, std::sqrt(2.0), 1e-12);  // population deviation of 1..5
  const std::vector<float> bad{std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), 3};
  w.add(bad);
  s = w.summary();
  EXPECT_EQ(s.scores, 6u);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
}

TEST(ScoreWindow, ForgetsAllButTheLatestBuckets) {
  ScoreWindow w;
  const std::vector<float> old{10}, fresh{1};
  for (std::uint64_t i = 0; i < ScoreWindow::kRequestsPerBucket; ++i) w.add(old);
  EXPECT_DOUBLE_EQ(w.summary().mean, 10.0);  // one full bucket, kept as the previous one
  for (std::uint64_t i = 0; i < ScoreWindow::kRequestsPerBucket; ++i) w.add(fresh);
  auto s = w.summary();  // the old bucket has rotated out
  EXPECT_EQ(s.requests, ScoreWindow::kRequestsPerBucket);
  EXPECT_DOUBLE_EQ(s.mean, 1.0);
  EXPECT_EQ(s.stddev, 0.0);
  w.add(old);
  s = w.summary();
  EXPECT_EQ(s.requests, ScoreWindow::kRequestsPerBucket + 1);
  EXPECT_NEAR(s.mean, (1000.0 + 10.0) / 1001.0, 1e-12);
}

// Per field: requests that gave it no value (1) or only unknown values (2), over the same
// window as the scores; a request with the wrong number of values counts none.
TEST(ScoreWindow, FieldValuesFollowTheWindow) {
  ScoreWindow w(3);
  const std::vector<float> one{1};
  const std::vector<std::uint8_t> missing_first{1, 0, 2}, none{0, 0, 0}, short_list{1};
  for (std::uint64_t i = 0; i < ScoreWindow::kRequestsPerBucket; ++i) w.add(one, missing_first);
  auto s = w.summary();
  EXPECT_EQ(s.missing, (std::vector<std::uint64_t>{1000, 0, 0}));
  EXPECT_EQ(s.unknown, (std::vector<std::uint64_t>{0, 0, 1000}));
  for (std::uint64_t i = 0; i < ScoreWindow::kRequestsPerBucket / 2; ++i) w.add(one, none);
  w.add(one, short_list);
  s = w.summary();
  EXPECT_EQ(s.requests, 1501u);
  EXPECT_EQ(s.missing, (std::vector<std::uint64_t>{1000, 0, 0}));
  for (std::uint64_t i = 0; i < ScoreWindow::kRequestsPerBucket; ++i) w.add(one, none);
  s = w.summary();  // the bucket of missing values has rotated out
  EXPECT_EQ(s.missing, (std::vector<std::uint64_t>{0, 0, 0}));
  EXPECT_EQ(s.unknown, (std::vector<std::uint64_t>{0, 0, 0}));
}

TEST(ScoreWindow, ConcurrentAddsLoseNothingWithinABucket) {
  ScoreWindow w;
  const std::vector<float> two{0.5f, 1.5f};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) w.add(two);
    });
  for (auto& th : threads) th.join();
  auto s = w.summary();
  EXPECT_EQ(s.requests, 800u);
  EXPECT_EQ(s.scores, 1600u);
  EXPECT_DOUBLE_EQ(s.mean, 1.0);
  EXPECT_NEAR(s.stddev, 0.5, 1e-12);
}

}  // namespace
