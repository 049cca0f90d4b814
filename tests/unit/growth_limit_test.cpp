// The per-thread growth limit (reco/memory.hpp): a large step past the limit is refused
// before anything is allocated, small allocations may run the slack past it and no more,
// nested limits charge the outer one, and another thread is never limited.
#include <gtest/gtest.h>

#include <thread>

#include "reco/memory.hpp"

namespace {

using reco::GrowthLimit;
using reco::MemoryLimitReached;
using reco::Vec;

TEST(GrowthLimit, LargeStepsAreRefusedAtTheLimitSmallOnesAtTheSlack) {
  EXPECT_FALSE(GrowthLimit::remaining().has_value());
  GrowthLimit limit(1 << 20);
  ASSERT_EQ(*GrowthLimit::remaining(), std::size_t(1) << 20);
  Vec<char> big;
  EXPECT_THROW(big.reserve((1 << 20) + 1), MemoryLimitReached);
  EXPECT_EQ(big.capacity(), 0u);
  EXPECT_EQ(*GrowthLimit::remaining(), std::size_t(1) << 20);  // a refused step costs nothing
  big.reserve(1 << 19);
  EXPECT_EQ(*GrowthLimit::remaining(), std::size_t(1) << 19);
  // Small allocations go on past the limit, up to the slack.
  std::vector<Vec<char>> small;
  std::size_t taken = 0;
  try {
    for (;;) {
      small.emplace_back();
      small.back().reserve(1000);
      taken += 1000;
    }
  } catch (const MemoryLimitReached& e) {
    EXPECT_NE(std::string(e.what()).find("would cross maxmemory"), std::string::npos);
  }
  EXPECT_GE(taken, (std::size_t(1) << 19) + reco::kGrowthSlackBytes - 1000);
  EXPECT_LE(taken, (std::size_t(1) << 19) + reco::kGrowthSlackBytes);
  EXPECT_EQ(*GrowthLimit::remaining(), 0u);
  // A large step now is refused at once; so is the next small one.
  Vec<char> more;
  EXPECT_THROW(more.reserve(reco::kGrowthStepBytes), MemoryLimitReached);
  EXPECT_THROW(more.reserve(1000), MemoryLimitReached);
}

TEST(GrowthLimit, NestedLimitsChargeTheOuterAndOtherThreadsAreFree) {
  GrowthLimit outer(1 << 20);
  {
    GrowthLimit inner(std::size_t(1) << 30);  // looser than what the outer has left: the outer's
    EXPECT_EQ(*GrowthLimit::remaining(), std::size_t(1) << 20);
    Vec<char> v;
    v.reserve(1 << 18);
    EXPECT_EQ(*GrowthLimit::remaining(), (std::size_t(1) << 20) - (1 << 18));
  }
  EXPECT_EQ(*GrowthLimit::remaining(), (std::size_t(1) << 20) - (1 << 18));
  bool free_there = false;
  std::thread([&] {
    Vec<char> v;
    v.reserve(4 << 20);  // no limit on this thread
    free_there = !GrowthLimit::remaining().has_value();
  }).join();
  EXPECT_TRUE(free_there);
}

}  // namespace
