// SeenSet: a sorted array of fingerprints. Counts returned by add/remove become the replies
// of RECO.USER.SEEN.ADD/DEL, so they are checked exactly, duplicates included.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco/fingerprint.hpp"
#include "reco/seen_set.hpp"

namespace {

std::vector<std::uint64_t> fps(std::initializer_list<std::uint64_t> l) { return l; }

TEST(SeenSet, AddCountsOnlyNewOnes) {
  reco::SeenSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.add(fps({5, 3, 9})), 3u);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.add(fps({3, 4})), 1u);
  EXPECT_EQ(s.add(fps({7, 7, 7})), 1u);  // duplicates inside one call count once
  EXPECT_EQ(s.add(fps({})), 0u);
  EXPECT_EQ(s.size(), 5u);
  for (auto f : {3, 4, 5, 7, 9}) EXPECT_TRUE(s.contains(std::uint64_t(f))) << f;
  for (auto f : {0, 1, 2, 6, 8, 10}) EXPECT_FALSE(s.contains(std::uint64_t(f))) << f;
  EXPECT_FALSE(s.contains(~0ULL));
}

TEST(SeenSet, RemoveCountsOnlyPresentOnes) {
  reco::SeenSet s;
  s.add(fps({1, 2, 3, 4}));
  EXPECT_EQ(s.remove(fps({2, 2, 10})), 1u);
  EXPECT_EQ(s.remove(fps({2})), 0u);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_FALSE(s.contains(std::uint64_t(2)));
  EXPECT_TRUE(s.contains(std::uint64_t(1)));
  EXPECT_EQ(s.remove(fps({1, 3, 4})), 3u);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.remove(fps({1})), 0u);
}

TEST(SeenSet, FingerprintsStaySortedAndUnique) {
  reco::SeenSet s;
  std::mt19937_64 rng(3);
  std::set<std::uint64_t> ref;
  for (int round = 0; round < 50; ++round) {
    std::vector<std::uint64_t> batch;
    for (int i = 0; i < 40; ++i) batch.push_back(rng() % 500);  // many duplicates
    if (round % 3 == 2) {
      std::size_t expect = 0;
      std::set<std::uint64_t> b(batch.begin(), batch.end());
      for (auto f : b) expect += ref.erase(f);
      EXPECT_EQ(s.remove(batch), expect);
    } else {
      std::size_t before = ref.size();
      ref.insert(batch.begin(), batch.end());
      EXPECT_EQ(s.add(batch), ref.size() - before);
    }
    auto got = s.fingerprints();
    ASSERT_EQ(std::vector<std::uint64_t>(got.begin(), got.end()),
              std::vector<std::uint64_t>(ref.begin(), ref.end()));
  }
}

TEST(SeenSet, AssignAnyOrderWithDuplicates) {
  reco::SeenSet s;
  s.add(fps({100, 200}));
  s.assign(fps({9, 1, 5, 1, 9, 9}));
  auto got = s.fingerprints();
  EXPECT_EQ(std::vector<std::uint64_t>(got.begin(), got.end()), fps({1, 5, 9}));
  EXPECT_FALSE(s.contains(std::uint64_t(100)));
  s.assign(fps({}));
  EXPECT_TRUE(s.empty());
  s.add(fps({4}));
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.contains(std::uint64_t(4)));
}

TEST(SeenSet, ContainsByIdUsesFingerprint) {
  reco::SeenSet s;
  s.add(fps({reco::fingerprint("movie_1"), reco::fingerprint(std::string("x\0y", 3))}));
  EXPECT_TRUE(s.contains(std::string_view("movie_1")));
  EXPECT_TRUE(s.contains(std::string_view("x\0y", 3)));
  EXPECT_FALSE(s.contains(std::string_view("x")));
  EXPECT_FALSE(s.contains(std::string_view("movie_2")));
}

TEST(SeenSet, TwentyThousandItems) {
  reco::SeenSet s;
  std::vector<std::uint64_t> in, out;
  for (int i = 0; i < 20000; ++i) in.push_back(reco::fingerprint("seen:" + std::to_string(i)));
  for (int i = 0; i < 20000; ++i) out.push_back(reco::fingerprint("other:" + std::to_string(i)));
  // Added in chunks and in shuffled order, as SEEN.ADD calls would arrive.
  std::vector<std::uint64_t> shuffled = in;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(5));
  std::size_t added = 0;
  for (std::size_t i = 0; i < shuffled.size(); i += 997)
    added += s.add(std::span(shuffled).subspan(i, std::min<std::size_t>(997, shuffled.size() - i)));
  EXPECT_EQ(added, 20000u);
  EXPECT_EQ(s.size(), 20000u);
  for (auto f : in) ASSERT_TRUE(s.contains(f));
  for (auto f : out) ASSERT_FALSE(s.contains(f));
  EXPECT_EQ(s.add(in), 0u);
  // 8 bytes an item: the heap block may have slack from growth, but not twice over.
  EXPECT_GE(s.heap_bytes(), 20000u * 8);
  EXPECT_LE(s.heap_bytes(), 2u * 20000u * 8);
  EXPECT_EQ(s.remove(std::span(in).first(10000)), 10000u);
  for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(s.contains(in[i]), i >= 10000) << i;
}

}  // namespace
