// FlatIndex against a brute-force reference in double precision, for every metric, through
// inserts, overwrites, removes, sparse ids and filters. Scores are compared with a small
// tolerance (float32 accumulation order differs); ids must agree wherever scores do not tie.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "reco/fingerprint.hpp"
#include "reco/flat_index.hpp"
#include "reference.hpp"

namespace {

using reco::Metric;
using reco_test::RefHit;

constexpr std::size_t kDim = 12;

// The engine result must (1) hold min(k, allowed) distinct allowed ids, (2) report each id's
// true score, (3) be sorted best first and (4) match the reference score position by position
// (so no better item was skipped).
void expect_matches(const std::vector<reco::Hit>& got, const std::vector<RefHit>& ref,
                    Metric m, std::span<const float> query,
                    const std::vector<std::vector<float>>& vectors,
                    const std::function<bool(std::uint32_t)>& allowed) {
  ASSERT_EQ(got.size(), ref.size());
  std::set<std::uint32_t> ids;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_LT(got[i].id, vectors.size());
    EXPECT_TRUE(allowed(got[i].id)) << "filtered id " << got[i].id << " returned";
    EXPECT_TRUE(ids.insert(got[i].id).second) << "duplicate id " << got[i].id;
    double truth = reco_test::ref_score(m, query, vectors[got[i].id]);
    EXPECT_NEAR(got[i].score, truth, reco_test::score_tolerance(truth)) << "pos " << i;
    EXPECT_NEAR(got[i].score, ref[i].score, reco_test::score_tolerance(ref[i].score))
        << "pos " << i << " got id " << got[i].id << " want id " << ref[i].id;
    if (i > 0) {
      EXPECT_GE(got[i - 1].score, got[i].score) << "pos " << i;
    }
  }
}

class FlatIndexMetric : public ::testing::TestWithParam<Metric> {};

TEST_P(FlatIndexMetric, MatchesBruteForceThroughUpdates) {
  const Metric m = GetParam();
  std::mt19937_64 rng(42);
  reco::FlatIndex ix(kDim, m);
  EXPECT_EQ(ix.kind(), "flat");
  EXPECT_EQ(ix.dim(), kDim);
  EXPECT_EQ(ix.metric(), m);

  const std::uint32_t n = 600;
  std::vector<std::vector<float>> vecs(n);
  std::vector<bool> present(n, false);
  auto is_present = [&](std::uint32_t id) { return bool(present[id]); };
  auto all = [](std::uint32_t) { return true; };
  // Sparse: only every other id gets a vector at first; absent rows must never score.
  for (std::uint32_t id = 0; id < n; id += 2) {
    vecs[id] = reco_test::random_vector(rng, kDim);
    ix.set(id, vecs[id]);
    present[id] = true;
  }
  EXPECT_EQ(ix.size(), n / 2);

  auto check = [&](const char* stage) {
    SCOPED_TRACE(stage);
    for (int qi = 0; qi < 8; ++qi) {
      auto q = reco_test::random_vector(rng, kDim);
      if (m == Metric::Cosine) q = reco_test::unit(q);
      for (std::size_t k : {1, 10, 100}) {
        auto ref = reco_test::brute_force(m, q, vecs, is_present, all, k);
        auto got = ix.search(q, k, reco::ItemFilter{});
        expect_matches(got, ref, m, q, vecs, all);
      }
    }
  };
  check("initial");

  // Overwrite a third of them: the old vector must be forgotten.
  for (std::uint32_t id = 0; id < n; id += 6) {
    vecs[id] = reco_test::random_vector(rng, kDim);
    ix.set(id, vecs[id]);
  }
  EXPECT_EQ(ix.size(), n / 2);
  check("after overwrites");

  // Remove some, add the odd ids.
  std::size_t count = n / 2;
  for (std::uint32_t id = 0; id < n; id += 10) {
    ix.remove(id);
    present[id] = false;
    --count;
    EXPECT_FALSE(ix.contains(id));
    EXPECT_TRUE(ix.get(id).empty());
  }
  ix.remove(1);  // never present: no effect
  EXPECT_EQ(ix.size(), count);
  for (std::uint32_t id = 1; id < n; id += 4) {
    vecs[id] = reco_test::random_vector(rng, kDim);
    ix.set(id, vecs[id]);
    present[id] = true;
    ++count;
  }
  EXPECT_EQ(ix.size(), count);
  check("after removes and inserts");

  // Removed then re-added.
  vecs[10] = reco_test::random_vector(rng, kDim);
  ix.set(10, vecs[10]);
  present[10] = true;
  ++count;
  EXPECT_EQ(ix.size(), count);
  EXPECT_TRUE(ix.contains(10));
  check("after re-add");

  // k larger than everything: all present ids.
  auto q = reco_test::random_vector(rng, kDim);
  if (m == Metric::Cosine) q = reco_test::unit(q);
  auto got = ix.search(q, 100000, reco::ItemFilter{});
  EXPECT_EQ(got.size(), count);
}

TEST_P(FlatIndexMetric, FilterIsAppliedInsideTheSearch) {
  const Metric m = GetParam();
  std::mt19937_64 rng(7);
  reco::FlatIndex ix(kDim, m);
  const std::uint32_t n = 500;
  std::vector<std::vector<float>> vecs(n);
  std::vector<std::uint64_t> fps(n);
  for (std::uint32_t id = 0; id < n; ++id) {
    vecs[id] = reco_test::random_vector(rng, kDim);
    ix.set(id, vecs[id]);
    fps[id] = reco::fingerprint("item" + std::to_string(id));
  }
  auto q = reco_test::random_vector(rng, kDim);
  if (m == Metric::Cosine) q = reco_test::unit(q);
  // Seen: the 450 best items for this query, so a post-filter over any small
  // over-fetch would come back short.
  auto best = reco_test::brute_force(m, q, vecs, [](auto) { return true; },
                                     [](auto) { return true; }, 450);
  reco::SeenSet seen;
  std::set<std::uint32_t> blocked;
  std::vector<std::uint64_t> seen_fps;
  for (auto& h : best) {
    seen_fps.push_back(fps[h.id]);
    blocked.insert(h.id);
  }
  seen.add(seen_fps);
  reco::ItemFilter f(&seen, fps.data());
  for (std::uint32_t id : {451u, 3u, 499u}) {
    f.exclude(id);
    blocked.insert(id);
  }
  auto allowed = [&](std::uint32_t id) { return !blocked.count(id); };
  for (std::size_t k : {1, 20, 47, 200}) {
    auto ref = reco_test::brute_force(m, q, vecs, [](auto) { return true; }, allowed, k);
    auto got = ix.search(q, k, f);
    SCOPED_TRACE(k);
    expect_matches(got, ref, m, q, vecs, allowed);
  }
}

TEST_P(FlatIndexMetric, AllowListShortAndLong) {
  // A short allow-list is visited id by id, a long one through the full scan: both exact.
  const Metric m = GetParam();
  std::mt19937_64 rng(11);
  reco::FlatIndex ix(kDim, m);
  const std::uint32_t n = 400;
  std::vector<std::vector<float>> vecs(n);
  for (std::uint32_t id = 0; id < n; ++id) {
    vecs[id] = reco_test::random_vector(rng, kDim);
    if (id % 9 != 0) ix.set(id, vecs[id]);
  }
  auto present = [](std::uint32_t id) { return id % 9 != 0; };
  for (std::uint32_t every : {50u, 2u}) {
    std::vector<std::uint32_t> allow;
    for (std::uint32_t id = 0; id < n + 20; id += every) allow.push_back(id);  // some absent, some past the end
    reco::ItemFilter f;
    f.restrict_to(allow);
    f.exclude(allow.size() > 2 ? allow[2] : 0);
    auto allowed = [&](std::uint32_t id) {
      return id % every == 0 && id != (allow.size() > 2 ? allow[2] : 0);
    };
    auto q = reco_test::random_vector(rng, kDim);
    if (m == Metric::Cosine) q = reco_test::unit(q);
    for (std::size_t k : {1, 5, 300}) {
      SCOPED_TRACE(every);
      auto ref = reco_test::brute_force(m, q, vecs, present, allowed, k);
      expect_matches(ix.search(q, k, f), ref, m, q, vecs, allowed);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, FlatIndexMetric,
                         ::testing::Values(Metric::InnerProduct, Metric::Cosine, Metric::L2),
                         [](const auto& info) {
                           return std::string(reco::metric_name(info.param));
                         });

TEST(FlatIndex, CosineStoresUnitVectors) {
  reco::FlatIndex ix(3, Metric::Cosine);
  std::vector<float> v{3, 0, 4};
  ix.set(0, v);
  auto got = ix.get(0);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_NEAR(got[0], 0.6f, 1e-6);
  EXPECT_NEAR(got[1], 0.0f, 1e-6);
  EXPECT_NEAR(got[2], 0.8f, 1e-6);
}

TEST(FlatIndex, InnerProductAndL2StoreAsGiven) {
  for (Metric m : {Metric::InnerProduct, Metric::L2}) {
    reco::FlatIndex ix(3, m);
    std::vector<float> v{3, 0, 4};
    ix.set(5, v);
    auto got = ix.get(5);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(std::vector<float>(got.begin(), got.end()), v);
    EXPECT_FALSE(ix.contains(4));
    EXPECT_TRUE(ix.get(4).empty());
    EXPECT_TRUE(ix.get(1000).empty());
  }
}

TEST(FlatIndex, AbsentRowsNeverScoreEvenWhenZeroWouldWin) {
  // Every real item scores negative; rows of never-set or removed ids are zero inside the
  // block and would win with score 0 if they were not skipped.
  for (Metric m : {Metric::InnerProduct, Metric::Cosine}) {
    reco::FlatIndex ix(2, m);
    ix.set(3, std::vector<float>{-1, -1});
    ix.set(7, std::vector<float>{-2, -1});
    ix.set(9, std::vector<float>{-1, -3});
    ix.remove(7);
    std::vector<float> q{0.6f, 0.8f};
    auto got = ix.search(q, 10, reco::ItemFilter{});
    ASSERT_EQ(got.size(), 2u) << reco::metric_name(m);
    // IP: -1.4 vs -3.0; cosine: -0.990 vs -0.949.
    std::uint32_t first = m == Metric::InnerProduct ? 3u : 9u;
    EXPECT_EQ(got[0].id, first);
    EXPECT_EQ(got[1].id, 12u - first);
  }
  // L2: a zero row would be nearest to a query near the origin.
  reco::FlatIndex ix(2, Metric::L2);
  ix.set(4, std::vector<float>{5, 5});
  std::vector<float> q{0.1f, 0.1f};
  auto got = ix.search(q, 3, reco::ItemFilter{});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, 4u);
  EXPECT_NEAR(got[0].score, -(4.9 * 4.9 * 2), 1e-3);
}

TEST(FlatIndex, ExactTiesBreakTowardSmallerId) {
  // Small integers: every score is exact in float, whatever the summation order.
  for (Metric m : {Metric::InnerProduct, Metric::L2}) {
    reco::FlatIndex ix(4, m);
    std::vector<float> same{1, 2, 0, 1}, other{0, 0, 1, 0};
    for (std::uint32_t id : {40u, 8u, 23u, 1u, 77u, 15u}) ix.set(id, same);
    for (std::uint32_t id : {2u, 3u}) ix.set(id, other);
    std::vector<float> q{1, 1, 0, 1};
    auto got = ix.search(q, 4, reco::ItemFilter{});
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0].id, 1u);
    EXPECT_EQ(got[1].id, 8u);
    EXPECT_EQ(got[2].id, 15u);
    EXPECT_EQ(got[3].id, 23u);
  }
}

TEST(FlatIndex, ScoresFollowTheMetricDefinition) {
  std::vector<float> v{1, 2, 2}, q{2, 0, 1};
  reco::FlatIndex ip(3, Metric::InnerProduct), l2(3, Metric::L2), cs(3, Metric::Cosine);
  ip.set(0, v);
  l2.set(0, v);
  cs.set(0, v);
  auto top = [](const reco::FlatIndex& ix, const std::vector<float>& query) {
    auto hits = ix.search(query, 1, {});
    return hits.empty() ? std::nan("") : double(hits[0].score);
  };
  EXPECT_NEAR(top(ip, q), 4.0, 1e-6);
  EXPECT_NEAR(top(l2, q), -(1 + 4 + 1), 1e-6);
  EXPECT_NEAR(top(cs, reco_test::unit(q)), 4.0 / (3.0 * std::sqrt(5.0)), 1e-6);
}

TEST(FlatIndex, EmptyAndZeroK) {
  reco::FlatIndex ix(4, Metric::InnerProduct);
  std::vector<float> q{1, 0, 0, 0};
  EXPECT_TRUE(ix.search(q, 10, {}).empty());
  ix.set(0, std::vector<float>{1, 1, 1, 1});
  EXPECT_TRUE(ix.search(q, 0, {}).empty());
  EXPECT_GT(ix.memory_bytes(), 0u);
}

TEST(FlatIndex, MemoryGrowsWithItems) {
  reco::FlatIndex ix(64, Metric::InnerProduct);
  std::size_t empty = ix.memory_bytes();
  std::vector<float> v(64, 0.5f);
  for (std::uint32_t id = 0; id < 1000; ++id) ix.set(id, v);
  EXPECT_GE(ix.memory_bytes() - empty, 1000u * 64 * 4);
  EXPECT_LE(ix.memory_bytes(), 3u * 1000u * (64 * 4 + 8) + empty + 4096);
}

}  // namespace
