// PopularList against a plain sorted vector: random inserts, moves and erases under keys
// with many ties, across block splits and merges.
#include "reco/popular_order.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <vector>

namespace {

using reco::OrderKey;
using reco::PopularList;

struct Model {
  std::vector<std::optional<OrderKey>> keys;  // by id; empty = not in the list
  std::vector<std::uint32_t> sorted() const {
    std::vector<std::uint32_t> out;
    for (std::uint32_t d = 0; d < keys.size(); ++d)
      if (keys[d]) out.push_back(d);
    std::sort(out.begin(), out.end(),
              [&](std::uint32_t a, std::uint32_t b) { return reco::before(*keys[a], *keys[b]); });
    return out;
  }
};

void set_key(PopularList& list, Model& m, std::uint32_t d, std::optional<OrderKey> to) {
  const auto from = m.keys[d];
  list.move(d, from, to, [&](std::uint32_t x) { return *m.keys[x]; });
  m.keys[d] = to;
}

TEST(PopularList, FollowsASortedVectorThroughSplitsAndMerges) {
  std::mt19937 rng(11);
  PopularList list;
  Model m;
  const std::uint32_t ids = 6000;
  m.keys.resize(ids);
  auto key = [&](std::uint32_t d) {
    // Few distinct popularities and times: long tie groups, as in a real catalog.
    return OrderKey{double(rng() % 4), std::int64_t(rng() % 3), d};
  };
  std::size_t max_blocks = 0;
  for (int step = 0; step < 60000; ++step) {
    const std::uint32_t d = rng() % ids;
    // Grows for the first half, shrinks in the second: splits, then merges.
    const bool grow = step < 30000;
    const unsigned op = rng() % 10;
    if (!m.keys[d]) {
      if (grow || op < 3) set_key(list, m, d, key(d));
    } else if (op < (grow ? 2u : 6u)) {
      set_key(list, m, d, std::nullopt);
    } else {
      set_key(list, m, d, key(d));
    }
    max_blocks = std::max(max_blocks, list.blocks());
    if (step % 997 == 0 || step == 59999) {
      const auto expect = m.sorted();
      ASSERT_EQ(list.to_vector(), expect) << "step " << step;
      ASSERT_EQ(list.size(), expect.size());
      ASSERT_LE(list.blocks(), 2 * list.size() / PopularList::kMinBlock + 1) << "step " << step;
    }
  }
  EXPECT_GE(max_blocks, 6u);  // the list did split
  EXPECT_LT(list.size(), 3000u);  // and shrank, merging
}

TEST(PopularList, AssignThenEditAndEmpty) {
  PopularList list;
  std::vector<std::uint32_t> ids(5000);
  Model m;
  m.keys.resize(ids.size());
  for (std::uint32_t d = 0; d < ids.size(); ++d) {
    ids[d] = d;
    m.keys[d] = OrderKey{1.0, 0, d};  // all tied: id order
  }
  list.assign(ids);
  EXPECT_EQ(list.to_vector(), ids);
  EXPECT_EQ(list.front(), 0u);
  // The last item gets + 1: from the end of a 5,000-item tie group to its head.
  set_key(list, m, 4999, OrderKey{2.0, 0, 4999});
  EXPECT_EQ(list.front(), 4999u);
  EXPECT_EQ(list.to_vector(), m.sorted());
  for (std::uint32_t d = 0; d < ids.size(); ++d) set_key(list, m, d, std::nullopt);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.blocks(), 0u);
  EXPECT_EQ(list.begin(), list.end());
}

TEST(PopularList, AMoveFromTheWrongKeyIsRefused) {
  PopularList list;
  list.push_back(1);
  list.push_back(2);
  std::vector<OrderKey> keys = {{0, 0, 0}, {5, 0, 1}, {3, 0, 2}};
  auto key = [&](std::uint32_t x) { return keys[x]; };
  EXPECT_THROW(list.move(2, OrderKey{9, 0, 2}, std::nullopt, key), reco::Error);
  EXPECT_EQ(list.to_vector(), (std::vector<std::uint32_t>{1, 2}));
}

}  // namespace
