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

namespace {

TEST(ItemFilter, AllowListRestrictsAndCombines) {
  std::vector<std::uint64_t> fps{10, 11, 12, 13, 14, 15};
  reco::SeenSet seen;
  seen.add(std::vector<std::uint64_t>{12});
  reco::ItemFilter f(&seen, fps.data());
  EXPECT_EQ(f.allowlist(), nullptr);
  f.exclude(4);
  EXPECT_EQ(f.blocked_estimate(), 2u);
  f.restrict_to({5, 1, 2, 4, 1});  // unsorted with a duplicate: normalised
  ASSERT_NE(f.allowlist(), nullptr);
  EXPECT_EQ(*f.allowlist(), (std::vector<std::uint32_t>{1, 2, 4, 5}));
  EXPECT_FALSE(f.empty());
  // 0, 3: not listed; 2: seen; 4: excluded.
  for (std::uint32_t id = 0; id < 6; ++id) EXPECT_EQ(f.allows(id), id == 1 || id == 5) << id;
  reco::ItemFilter only;
  only.restrict_to({});
  EXPECT_FALSE(only.empty());
  EXPECT_FALSE(only.allows(0));
  EXPECT_EQ(only.blocked_estimate(), 0u);
}

}  // namespace
