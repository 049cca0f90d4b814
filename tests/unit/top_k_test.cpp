// TopK: bounded best-k selection with a deterministic tie order (smaller id first), which is
// what makes results identical across nodes and reloads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <vector>

#include "reco/top_k.hpp"

namespace {

std::vector<reco::Hit> select(std::size_t k, const std::vector<reco::Hit>& in) {
  reco::TopK t(k);
  for (const auto& h : in)
    if (t.admits(h.score, h.id)) t.push(h.score, h.id);
  return t.take_sorted();
}

TEST(TopK, KeepsBestFirst) {
  auto got = select(3, {{1, 0.5f}, {2, 0.9f}, {3, 0.1f}, {4, 0.7f}, {5, 0.8f}});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, 2u);
  EXPECT_EQ(got[1].id, 5u);
  EXPECT_EQ(got[2].id, 4u);
  EXPECT_FLOAT_EQ(got[0].score, 0.9f);
}

TEST(TopK, FewerThanK) {
  auto got = select(10, {{7, 1.0f}, {3, 2.0f}});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, 3u);
  EXPECT_EQ(got[1].id, 7u);
  EXPECT_TRUE(select(5, {}).empty());
}

TEST(TopK, TiesBreakTowardSmallerIdWhateverTheArrivalOrder) {
  std::vector<reco::Hit> in;
  for (std::uint32_t id = 0; id < 20; ++id) in.push_back({id, 1.0f});
  for (int perm = 0; perm < 5; ++perm) {
    std::shuffle(in.begin(), in.end(), std::mt19937(perm));
    auto got = select(4, in);
    ASSERT_EQ(got.size(), 4u);
    for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(got[i].id, i);
  }
  // A higher score beats a smaller id.
  auto got = select(2, {{0, 1.0f}, {9, 2.0f}, {1, 1.0f}});
  EXPECT_EQ(got[0].id, 9u);
  EXPECT_EQ(got[1].id, 0u);
}

TEST(TopK, AdmitsNeverRefusesOneThatBelongs) {
  // admits() may say yes to a candidate a later selection drops, never no to one that
  // belongs; once 2k are buffered, the k-th best is the bar.
  reco::TopK t(2);
  EXPECT_TRUE(t.admits(-100.0f, 1));
  t.push(1.0f, 1);
  t.push(2.0f, 2);
  t.push(0.0f, 4);
  t.push(-1.0f, 5);  // 2k buffered: the best two are kept, (1.0, id 1) is the bar
  EXPECT_FALSE(t.admits(0.5f, 3));
  EXPECT_FALSE(t.admits(1.0f, 3));  // tie with a smaller id already kept
  EXPECT_TRUE(t.admits(1.0f, 0));   // tie with a larger id: enters
  EXPECT_TRUE(t.admits(1.5f, 3));
  EXPECT_EQ(t.size(), 2u);
}

TEST(TopK, AdmitsIsConsistentWithTheFinalAnswer) {
  // Feeding only what admits() accepts must give the same answer as feeding everything.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> score(0, 30);
  for (int round = 0; round < 30; ++round) {
    const std::size_t k = 1 + round * 3;
    reco::TopK gated(k), all(k);
    for (std::uint32_t id = 0; id < 500; ++id) {
      const float s = float(score(rng));
      all.push(s, id);
      if (gated.admits(s, id)) gated.push(s, id);
    }
    auto a = gated.take_sorted(), b = all.take_sorted();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i].id, b[i].id) << "round " << round;
  }
}

TEST(TopK, ZeroKAdmitsNothing) {
  // Run in a child: reading the root of an empty heap would be a crash, not a failure.
  EXPECT_EXIT(
      {
        reco::TopK t(0);
        bool admitted = t.admits(1.0f, 1);
        std::exit(admitted ? 1 : (t.take_sorted().empty() ? 0 : 2));
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(TopK, MatchesSortReference) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> score(0, 50);  // coarse scores: many ties
  for (int round = 0; round < 50; ++round) {
    std::vector<reco::Hit> in;
    for (std::uint32_t id = 0; id < 300; ++id) in.push_back({id, float(score(rng))});
    std::shuffle(in.begin(), in.end(), rng);
    std::size_t k = 1 + round * 7;
    auto ref = in;
    std::sort(ref.begin(), ref.end(), reco::better);
    ref.resize(std::min(k, ref.size()));
    auto got = select(k, in);
    ASSERT_EQ(got.size(), ref.size());
    for (std::size_t i = 0; i < ref.size(); ++i) {
      ASSERT_EQ(got[i].id, ref[i].id) << "round " << round << " pos " << i;
      ASSERT_EQ(got[i].score, ref[i].score);
    }
  }
}

}  // namespace
