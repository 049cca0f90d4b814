// Planned graph inserts (HnswIndex::plan_set / apply_plan) against plain set(): whatever
// the interleaving of plans and writes, the graph must come out byte for byte as set()
// would build it from the same writes in the same order, and stale plans must be refused.
// Several plans made against one state and applied one after another is what concurrent
// loaders produce; deletes and re-sets in between are what other clients do.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "reco/codec.hpp"
#include "reco/hnsw_index.hpp"

namespace {

using reco::HnswIndex;
using reco::HnswParams;
using reco::HnswQuant;
using reco::Metric;

constexpr std::size_t kDim = 16;

std::vector<std::vector<float>> clustered(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<std::vector<float>> centers(20, std::vector<float>(kDim));
  for (auto& c : centers)
    for (auto& x : c) x = g(rng);
  std::vector<std::vector<float>> out(n, std::vector<float>(kDim));
  for (auto& v : out) {
    const auto& c = centers[rng() % centers.size()];
    for (std::size_t d = 0; d < kDim; ++d) v[d] = c[d] + 0.4f * g(rng);
  }
  return out;
}

std::string bytes(const HnswIndex& ix) {
  reco::BufferSink s;
  ix.save(s);
  return s.bytes();
}

struct Variant {
  Metric metric;
  HnswQuant quant;
  bool keep_float;
};

class HnswInsertPlan : public ::testing::TestWithParam<Variant> {
 protected:
  HnswParams params() const {
    HnswParams p;
    p.m = 8;
    p.ef_construction = 48;
    p.quant = GetParam().quant;
    p.keep_float = GetParam().keep_float;
    return p;
  }
};

// One operation of a replayed write sequence.
struct Op {
  enum Kind { Set, Remove } kind;
  std::uint32_t id;
  std::size_t vec;  // index into the data
};

// Applies `ops` to `planned` in batches: each batch's sets are all planned first, against
// the state before the batch (as concurrent planners would), then applied in order, with
// set() where a plan is refused; and to `plain` with set()/remove() one by one.
void replay(const std::vector<Op>& ops, const std::vector<std::vector<float>>& data, std::size_t batch,
            HnswIndex& planned, HnswIndex& plain, std::uint64_t& applied, std::uint64_t& refused) {
  for (std::size_t start = 0; start < ops.size(); start += batch) {
    const std::size_t end = std::min(ops.size(), start + batch);
    std::vector<std::unique_ptr<reco::VectorInsertPlan>> plans;
    for (std::size_t i = start; i < end; ++i)
      plans.push_back(ops[i].kind == Op::Set ? planned.plan_set(ops[i].id, data[ops[i].vec]) : nullptr);
    for (std::size_t i = start; i < end; ++i) {
      const Op& op = ops[i];
      if (op.kind == Op::Remove) {
        planned.remove(op.id);
        plain.remove(op.id);
        continue;
      }
      plain.set(op.id, data[op.vec]);
      const auto& plan = plans[i - start];
      if (plan && planned.apply_plan(op.id, *plan)) {
        ++applied;
      } else {
        if (plan) ++refused;
        planned.set(op.id, data[op.vec]);
      }
    }
  }
}

TEST_P(HnswInsertPlan, OnePlanAtATimeIsSet) {
  const auto data = clustered(1500, 11);
  HnswIndex a(kDim, GetParam().metric, params()), b(kDim, GetParam().metric, params());
  for (std::uint32_t id = 0; id < data.size(); ++id) {
    a.set(id, data[id]);
    auto plan = b.plan_set(id, data[id]);
    ASSERT_NE(plan, nullptr);
    ASSERT_TRUE(b.apply_plan(id, *plan));
  }
  EXPECT_EQ(bytes(a), bytes(b));
  EXPECT_EQ(b.counters().inserts_planned, data.size());
  EXPECT_EQ(b.counters().plans_stale, 0u);
}

TEST_P(HnswInsertPlan, ConcurrentPlansGiveTheSequentialGraph) {
  const auto data = clustered(3000, 12);
  for (const std::size_t batch : {2, 4, 9}) {
    std::vector<Op> ops;
    for (std::uint32_t id = 0; id < 2000; ++id) ops.push_back({Op::Set, id, id});
    HnswIndex a(kDim, GetParam().metric, params()), b(kDim, GetParam().metric, params());
    std::uint64_t applied = 0, refused = 0;
    replay(ops, data, batch, b, a, applied, refused);
    EXPECT_EQ(bytes(a), bytes(b)) << "batch " << batch;
    // Both outcomes occur. How many plans survive depends on how much of the graph the
    // plans before them touched: on 2,000 nodes, 45-95% (more for shorter batches).
    EXPECT_GT(applied, ops.size() / 4) << "batch " << batch;
    EXPECT_GT(refused, 0u) << "batch " << batch;
    EXPECT_EQ(b.counters().plans_stale, refused);
  }
}

TEST_P(HnswInsertPlan, PlansMadeForOneSlotApplyToAnother) {
  // Two loaders both predict the next free slot; the second item lands one further.
  const auto data = clustered(1200, 13);
  HnswIndex a(kDim, GetParam().metric, params()), b(kDim, GetParam().metric, params());
  std::uint64_t moved = 0;
  for (std::uint32_t id = 0; id + 1 < data.size(); id += 2) {
    auto p1 = b.plan_set(id, data[id]);
    auto p2 = b.plan_set(id, data[id + 1]);  // predicted the same slot
    ASSERT_TRUE(b.apply_plan(id, *p1));
    if (b.apply_plan(id + 1, *p2))
      ++moved;
    else
      b.set(id + 1, data[id + 1]);
    a.set(id, data[id]);
    a.set(id + 1, data[id + 1]);
  }
  EXPECT_EQ(bytes(a), bytes(b));
  EXPECT_GT(moved, 0u);
}

TEST_P(HnswInsertPlan, DeletesAndResetsMakePlansStale) {
  const auto data = clustered(3000, 14);
  std::mt19937_64 rng(5);
  std::vector<Op> ops;
  std::uint32_t next = 0;
  for (int i = 0; i < 2500; ++i) {
    const auto r = rng() % 10;
    if (r < 7 || next < 50) {
      ops.push_back({Op::Set, next, next});
      ++next;
    } else if (r < 9) {
      ops.push_back({Op::Remove, static_cast<std::uint32_t>(rng() % next), 0});
    } else {
      // A re-set: of a live id (relinked in place) or of a deleted one (a tombstone back).
      ops.push_back({Op::Set, static_cast<std::uint32_t>(rng() % next), 2000 + rng() % 1000});
    }
  }
  HnswIndex a(kDim, GetParam().metric, params()), b(kDim, GetParam().metric, params());
  std::uint64_t applied = 0, refused = 0;
  replay(ops, data, 5, b, a, applied, refused);
  EXPECT_EQ(bytes(a), bytes(b));
  EXPECT_GT(applied, 0u);
  EXPECT_GT(refused, 0u);
  EXPECT_GT(b.counters().sweeps, 0u);  // the sweeps ran in between too
}

TEST_P(HnswInsertPlan, NoPlanForLiveOrDeletedIds) {
  const auto data = clustered(100, 15);
  HnswIndex ix(kDim, GetParam().metric, params());
  for (std::uint32_t id = 0; id < 100; ++id) ix.set(id, data[id]);
  EXPECT_EQ(ix.plan_set(5, data[0]), nullptr);  // live: relinked in place by set()
  ix.remove(6);
  EXPECT_EQ(ix.plan_set(6, data[0]), nullptr);  // tombstone: back in place by set()
  EXPECT_NE(ix.plan_set(100, data[0]), nullptr);
  EXPECT_EQ(ix.plan_set(101, std::vector<float>(kDim + 1, 0.0f)), nullptr);  // wrong size
  // A plan made by another index is refused, changing nothing.
  HnswIndex other(kDim, GetParam().metric, params());
  auto foreign = other.plan_set(100, data[1]);
  const std::string before = bytes(ix);
  EXPECT_FALSE(ix.apply_plan(100, *foreign));
  EXPECT_EQ(bytes(ix), before);
}

INSTANTIATE_TEST_SUITE_P(Variants, HnswInsertPlan,
                         ::testing::Values(Variant{Metric::L2, HnswQuant::None, false},
                                           Variant{Metric::InnerProduct, HnswQuant::None, false},
                                           Variant{Metric::Cosine, HnswQuant::None, false},
                                           Variant{Metric::L2, HnswQuant::Int8, false},
                                           Variant{Metric::InnerProduct, HnswQuant::Int8, true}),
                         [](const auto& info) {
                           const Variant& v = info.param;
                           std::string name = v.metric == Metric::L2 ? "L2"
                                              : v.metric == Metric::InnerProduct ? "IP"
                                                                                 : "Cosine";
                           if (v.quant == HnswQuant::Int8) name += v.keep_float ? "Int8KeepFloat" : "Int8";
                           return name;
                         });

}  // namespace
