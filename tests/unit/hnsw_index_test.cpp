// HnswIndex against the exact FlatIndex on clustered data: recall for every metric,
// through deletes and re-inserts, filtered queries (seen-set, exclude, allow-list) down to
// 0.1% of the catalog, int8 storage, memory against hnswlib's per-vector layout, and
// determinism. One index per metric is built once and shared, since building 20,000
// vectors at ef_construction 200 is the slow part.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/fingerprint.hpp"
#include "reco/flat_index.hpp"
#include "reco/hnsw_index.hpp"

namespace {

using reco::Metric;

constexpr std::size_t kDim = 64;
constexpr std::size_t kN = 20000;
constexpr std::size_t kK = 10;

// 50 Gaussian clusters; queries come from the same clusters.
struct Clustered {
  std::mt19937_64 rng;
  std::vector<std::vector<float>> centers;
  explicit Clustered(std::uint64_t seed, std::size_t clusters = 50) : rng(seed) {
    std::normal_distribution<float> g;
    centers.resize(clusters, std::vector<float>(kDim));
    for (auto& c : centers)
      for (auto& x : c) x = g(rng);
  }
  std::vector<float> next() {
    std::normal_distribution<float> g;
    const auto& c = centers[rng() % centers.size()];
    std::vector<float> v(kDim);
    for (std::size_t d = 0; d < kDim; ++d) v[d] = c[d] + 0.5f * g(rng);
    return v;
  }
};

// Mean recall@k of `ix` against `exact` over `queries`, with the same filter.
double recall(const reco::VectorIndex& ix, const reco::VectorIndex& exact,
              const std::vector<std::vector<float>>& queries, const reco::ItemFilter& f,
              std::size_t k = kK, reco::SearchParams sp = {}) {
  double hit = 0, total = 0;
  for (const auto& q : queries) {
    std::set<std::uint32_t> truth;
    for (const auto& h : exact.search(q, k, f)) truth.insert(h.id);
    for (const auto& h : ix.search(q, k, f, sp)) hit += truth.count(h.id);
    total += truth.size();
  }
  return total ? hit / total : 1.0;
}

struct Built {
  std::unique_ptr<reco::HnswIndex> hnsw;
  std::unique_ptr<reco::FlatIndex> flat;
  std::vector<std::vector<float>> queries;
  Clustered gen{0};
};

// hnswlib's bytes for the same nodes and levels: per vector 4 + 2M*4 link bytes, the
// floats and an 8-byte label, plus (4 + M*4) per upper-level list.
double hnswlib_formula_bytes(const reco::HnswIndex& ix, std::size_t n, std::size_t dim) {
  const double m = double(ix.params().m);
  return n * (4 + 2 * m * 4 + dim * 4.0 + 8) + ix.upper_lists() * (4 + m * 4);
}

Built& built(Metric m) {
  static std::map<Metric, Built> cache;
  auto it = cache.find(m);
  if (it != cache.end()) return it->second;
  Built& b = cache[m];
  b.gen = Clustered(static_cast<std::uint64_t>(m) + 11);
  b.hnsw = std::make_unique<reco::HnswIndex>(kDim, m);
  b.flat = std::make_unique<reco::FlatIndex>(kDim, m);
  for (std::uint32_t id = 0; id < kN; ++id) {
    auto v = b.gen.next();
    b.hnsw->set(id, v);
    b.flat->set(id, v);
  }
  for (int i = 0; i < 200; ++i) b.queries.push_back(b.gen.next());
  return b;
}

class HnswMetric : public ::testing::TestWithParam<Metric> {};

TEST_P(HnswMetric, RecallThroughDeletesAndReinserts) {
  const Metric m = GetParam();
  // Copies of the shared indexes: this test mutates them.
  Built& b = built(m);
  reco::BufferSink copy;
  b.hnsw->save(copy);
  reco::BufferSource copy_src(copy.bytes());
  auto ix_ptr = reco::HnswIndex::load(copy_src, kDim, m);
  reco::HnswIndex& ix = *ix_ptr;
  reco::FlatIndex flat = *b.flat;
  const auto& queries = b.queries;
  Clustered gen(static_cast<std::uint64_t>(m) + 100);
  EXPECT_EQ(ix.size(), kN);
  const double r0 = recall(ix, flat, queries, {});
  EXPECT_GE(r0, 0.95) << "initial";
  const std::size_t mem_full = ix.memory_bytes();

  // Delete a third: never returned afterwards, recall holds.
  std::set<std::uint32_t> deleted;
  for (std::uint32_t id = 0; id < kN; id += 3) {
    ix.remove(id);
    flat.remove(id);
    deleted.insert(id);
  }
  EXPECT_EQ(ix.size(), kN - deleted.size());
  EXPECT_LT(ix.tombstones(), deleted.size() / 4) << "tombstones were never swept";
  for (const auto& q : queries)
    for (const auto& h : ix.search(q, 50, {})) ASSERT_FALSE(deleted.count(h.id)) << h.id;
  const double r1 = recall(ix, flat, queries, {});
  EXPECT_GE(r1, 0.95) << "after deletes";
  EXPECT_LT(ix.memory_bytes(), mem_full) << "deletes freed nothing";

  // New vectors at the freed ids (the catalog reuses dense ids): no new slots.
  for (std::uint32_t id : deleted) {
    auto v = gen.next();
    ix.set(id, v);
    flat.set(id, v);
  }
  EXPECT_EQ(ix.size(), kN);
  EXPECT_EQ(ix.slots(), kN);
  const double r2 = recall(ix, flat, queries, {});
  EXPECT_GE(r2, 0.95) << "after re-inserts";
  EXPECT_LE(ix.memory_bytes(), mem_full + mem_full / 50);

  // Updating a vector in place moves the item: its new neighbourhood finds it.
  auto target = queries[0];
  ix.set(5, target);
  flat.set(5, target);
  auto hits = ix.search(target, 1, {});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 5u);
  std::printf("[ recall %s ] initial %.4f, after deleting a third %.4f, after re-inserts %.4f\n",
              std::string(reco::metric_name(m)).c_str(), r0, r1, r2);
}

TEST_P(HnswMetric, FilteredSearchReturnsKAllowedItems) {
  Built& b = built(GetParam());
  std::vector<std::uint64_t> fps(kN);
  for (std::uint32_t id = 0; id < kN; ++id) fps[id] = reco::fingerprint("item" + std::to_string(id));
  std::mt19937_64 rng(5);

  struct Case {
    const char* name;
    double keep;  // fraction allowed
    int how;      // 0 seen-set, 1 exclude, 2 allow-list
  };
  for (Case c : {Case{"seen 50%", 0.5, 0}, Case{"exclude 90%", 0.1, 1}, Case{"seen 99.9%", 0.001, 0},
                 Case{"allow-list 50%", 0.5, 2}, Case{"allow-list 30%", 0.3, 2},
                 Case{"allow-list 10%", 0.1, 2},
                 Case{"allow-list 0.1%", 0.001, 2}}) {
    SCOPED_TRACE(c.name);
    std::vector<std::uint32_t> blocked, allowed;
    std::uniform_real_distribution<double> u;
    for (std::uint32_t id = 0; id < kN; ++id) (u(rng) < c.keep ? allowed : blocked).push_back(id);
    reco::SeenSet seen;
    reco::ItemFilter f;
    if (c.how == 0) {
      std::vector<std::uint64_t> s;
      for (auto id : blocked) s.push_back(fps[id]);
      seen.add(s);
      f = reco::ItemFilter(&seen, fps.data());
    } else if (c.how == 1) {
      f.exclude(blocked);
    } else {
      f.restrict_to(allowed);
    }
    std::set<std::uint32_t> ok(allowed.begin(), allowed.end());
    const bool scan = reco::HnswIndex::prefers_exact_scan(
        allowed.size(), c.how == 2, reco::HnswIndex::kDefaultEfSearch, kN);
    double hit = 0, total = 0;
    for (std::size_t qi = 0; qi < 100; ++qi) {
      const auto& q = b.queries[qi];
      auto truth = b.flat->search(q, kK, f);
      auto got = b.hnsw->search(q, kK, f);
      ASSERT_EQ(got.size(), std::min(kK, allowed.size()));
      std::set<std::uint32_t> t;
      for (auto& h : truth) t.insert(h.id);
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_TRUE(ok.count(got[i].id)) << "blocked id returned";
        hit += t.count(got[i].id);
        if (scan) {
          EXPECT_EQ(got[i].id, truth[i].id);
          EXPECT_NEAR(got[i].score, truth[i].score, 1e-3 * std::max(1.0f, std::fabs(truth[i].score)));
        }
      }
      total += t.size();
    }
    EXPECT_GE(hit / total, 0.95);
    std::printf("[ filter %s %s ] recall %.4f (%s)\n", std::string(reco::metric_name(GetParam())).c_str(),
                c.name, hit / total, scan ? "exact scan" : "graph walk");
  }
}

TEST_P(HnswMetric, PerQueryEfTradesRecall) {
  Built& b = built(GetParam());
  const double low = recall(*b.hnsw, *b.flat, b.queries, {}, kK, {kK});
  const double high = recall(*b.hnsw, *b.flat, b.queries, {}, kK, {400});
  EXPECT_GE(high, low);
  EXPECT_GE(high, 0.99);
  // A large k still gets k items (ef is raised to k).
  EXPECT_EQ(b.hnsw->search(b.queries[0], 500, {}).size(), 500u);
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, HnswMetric,
                         ::testing::Values(Metric::InnerProduct, Metric::Cosine, Metric::L2),
                         [](const auto& info) { return std::string(reco::metric_name(info.param)); });

TEST(HnswIndex, MemoryPerVectorIsAtMostHnswlibs) {
  Built& b = built(Metric::L2);
  const double formula = hnswlib_formula_bytes(*b.hnsw, kN, kDim);
  const double ours = double(b.hnsw->memory_bytes());
  std::printf("[ memory ] reco %.1f bytes/vector, hnswlib formula %.1f\n", ours / kN, formula / kN);
  EXPECT_LE(ours, formula);
  EXPECT_GE(ours, kN * (kDim * 4.0 + 32 * 4));  // the accounting is not an underestimate
}

TEST(HnswIndex, Int8RecallAndMemory) {
  Built& fb = built(Metric::L2);
  for (Metric m : {Metric::L2}) {
    Built& b = built(m);
    reco::HnswParams p;
    p.quant = reco::HnswQuant::Int8;
    reco::HnswIndex q8(kDim, m, p);
    for (std::uint32_t id = 0; id < kN; ++id) q8.set(id, b.flat->get(id), true);
    const reco::FlatIndex& flat = *b.flat;
    const auto& queries = b.queries;
    const double r = recall(q8, flat, queries, {});
    EXPECT_GE(r, 0.93) << reco::metric_name(m);
    EXPECT_TRUE(q8.get(7).empty());
    std::vector<float> back(kDim);
    ASSERT_TRUE(q8.read(7, back));
    auto orig = flat.get(7);
    double err = 0, norm = 0;
    for (std::size_t d = 0; d < kDim; ++d) {
      err += (back[d] - orig[d]) * (back[d] - orig[d]);
      norm += orig[d] * orig[d];
    }
    EXPECT_LT(std::sqrt(err / norm), 0.02);
    const double formula = hnswlib_formula_bytes(q8, kN, kDim);
    const double ratio = q8.memory_bytes() / formula;
    std::printf("[ int8 %s ] recall %.4f, %.1f bytes/vector = %.3f x hnswlib formula, %.3f x reco float\n",
                std::string(reco::metric_name(m)).c_str(), r, double(q8.memory_bytes()) / kN, ratio,
                double(q8.memory_bytes()) / fb.hnsw->memory_bytes());
    EXPECT_LE(ratio, 0.4);
  }
  // With float copies kept, the short list is re-scored exactly.
  Built& b = built(Metric::InnerProduct);
  reco::HnswParams p;
  p.quant = reco::HnswQuant::Int8;
  p.keep_float = true;
  reco::HnswIndex qf(kDim, Metric::InnerProduct, p);
  for (std::uint32_t id = 0; id < 5000; ++id) qf.set(id, b.flat->get(id), true);
  reco::FlatIndex small(kDim, Metric::InnerProduct);
  for (std::uint32_t id = 0; id < 5000; ++id) small.set(id, b.flat->get(id), true);
  EXPECT_GE(recall(qf, small, b.queries, {}), 0.95);
  auto g = qf.get(3);
  ASSERT_EQ(g.size(), kDim);
  EXPECT_EQ(std::vector<float>(g.begin(), g.end()),
            std::vector<float>(b.flat->get(3).begin(), b.flat->get(3).end()));
  auto hits = qf.search(b.queries[0], 5, {});
  auto exact = small.search(b.queries[0], 5, {});
  ASSERT_EQ(hits.size(), 5u);
  EXPECT_NEAR(hits[0].score, exact[0].score, 1e-3);
}

TEST(HnswIndex, SameInsertsGiveTheSameGraph) {
  Clustered gen(77);
  reco::HnswIndex a(kDim, Metric::Cosine), b(kDim, Metric::Cosine);
  for (std::uint32_t id = 0; id < 2000; ++id) {
    auto v = gen.next();
    a.set(id, v);
    b.set(id, v);
    if (id % 7 == 3) {
      a.remove(id / 2);
      b.remove(id / 2);
    }
  }
  reco::BufferSink sa, sb;
  a.save(sa);
  b.save(sb);
  EXPECT_EQ(sa.bytes(), sb.bytes());
  reco::HnswParams p;
  p.seed = 99;
  reco::HnswIndex c(kDim, Metric::Cosine, p);
  Clustered gen2(77);
  for (std::uint32_t id = 0; id < 2000; ++id) c.set(id, gen2.next());
  reco::BufferSink sc;
  c.save(sc);
  EXPECT_NE(sa.bytes(), sc.bytes());  // the seed matters
}

TEST(HnswIndex, EdgeCases) {
  reco::HnswIndex ix(4, Metric::InnerProduct);
  std::vector<float> q{1, 0, 0, 0};
  EXPECT_TRUE(ix.search(q, 10, {}).empty());
  ix.set(3, std::vector<float>{1, 1, 1, 1});
  EXPECT_TRUE(ix.search(q, 0, {}).empty());
  auto hits = ix.search(q, 10, {});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 3u);
  EXPECT_FLOAT_EQ(hits[0].score, 1.0f);
  EXPECT_FALSE(ix.contains(2));
  EXPECT_TRUE(ix.get(2).empty());
  ix.remove(2);  // absent: nothing happens
  ix.remove(3);
  EXPECT_EQ(ix.size(), 0u);
  EXPECT_TRUE(ix.search(q, 10, {}).empty());
  ix.set(3, std::vector<float>{0, 2, 0, 0});
  ASSERT_EQ(ix.search(q, 10, {}).size(), 1u);
  EXPECT_THROW(ix.set(1, std::vector<float>{1, 2}), reco::Error);
  EXPECT_THROW(ix.search(std::vector<float>{1, 2}, 1, {}), reco::Error);
  EXPECT_THROW(reco::HnswIndex(0, Metric::L2), reco::Error);
  reco::HnswParams bad;
  bad.m = 1;
  EXPECT_THROW(reco::HnswIndex(4, Metric::L2, bad), reco::Error);
  // Cosine stores unit vectors, like FlatIndex.
  reco::HnswIndex cs(3, Metric::Cosine);
  cs.set(0, std::vector<float>{3, 0, 4});
  auto g = cs.get(0);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_NEAR(g[0], 0.6f, 1e-6);
  EXPECT_NEAR(g[2], 0.8f, 1e-6);
}

}  // namespace
