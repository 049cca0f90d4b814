// ItemFilter: the single place that decides what a search may return.
#include <gtest/gtest.h>

#include <vector>

#include "reco/fingerprint.hpp"
#include "reco/item_filter.hpp"

namespace {

TEST(ItemFilter, DefaultAllowsEverything) {
  reco::ItemFilter f;
  EXPECT_TRUE(f.empty());
  for (std::uint32_t id = 0; id < 100; ++id) EXPECT_TRUE(f.allows(id));
}

TEST(ItemFilter, SeenItemsAreMatchedByFingerprint) {
  std::vector<std::uint64_t> fps{reco::fingerprint("a"), reco::fingerprint("b"),
                                 reco::fingerprint("c"), reco::fingerprint("d")};
  reco::SeenSet seen;
  seen.add(std::vector<std::uint64_t>{reco::fingerprint("b"), reco::fingerprint("d"),
                                      reco::fingerprint("zzz")});
  reco::ItemFilter f(&seen, fps.data());
  EXPECT_FALSE(f.empty());
  EXPECT_TRUE(f.allows(0));
  EXPECT_FALSE(f.allows(1));
  EXPECT_TRUE(f.allows(2));
  EXPECT_FALSE(f.allows(3));
}

TEST(ItemFilter, EmptySeenSetIsNoFilter) {
  std::vector<std::uint64_t> fps{1, 2, 3};
  reco::SeenSet seen;
  reco::ItemFilter f(&seen, fps.data());
  EXPECT_TRUE(f.empty());
  EXPECT_TRUE(f.allows(1));
  reco::ItemFilter g(nullptr, fps.data());
  EXPECT_TRUE(g.empty());
  EXPECT_TRUE(g.allows(2));
}

TEST(ItemFilter, ExcludeAnyOrderAndDuplicates) {
  reco::ItemFilter f;
  for (std::uint32_t id : {50u, 3u, 17u, 3u, 0u, 50u}) f.exclude(id);
  EXPECT_FALSE(f.empty());
  for (std::uint32_t id = 0; id < 60; ++id)
    EXPECT_EQ(f.allows(id), !(id == 0 || id == 3 || id == 17 || id == 50)) << id;
}

TEST(ItemFilter, SeenAndExcludeCombine) {
  std::vector<std::uint64_t> fps{10, 11, 12, 13};
  reco::SeenSet seen;
  seen.add(std::vector<std::uint64_t>{11});
  reco::ItemFilter f(&seen, fps.data());
  f.exclude(2);
  EXPECT_TRUE(f.allows(0));
  EXPECT_FALSE(f.allows(1));
  EXPECT_FALSE(f.allows(2));
  EXPECT_TRUE(f.allows(3));
}

}  // namespace
