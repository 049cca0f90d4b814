// Item-to-item scoring (reco/item_similarity.hpp): similar() and the SESSION source rank by
// the cosine over the non-bias dimensions. Planted data shows the point of it (items with a
// large bias are not the neighbours of an unrelated item, while the plain inner product,
// the old behaviour, puts them first); references recomputed here in double precision
// check the scores on every index path; the option's validation and persistence (with the
// previous encoding still loading) are checked too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/item_similarity.hpp"
#include "reco/recommender.hpp"
#include "reference.hpp"

namespace {

using reco::Catalog;
using reco::IndexConfig;
using reco::IndexKind;
using reco::Metric;

// Cosine over every dimension but `bias` (double precision, from the raw vectors).
double ref_cosine(std::span<const float> a, std::span<const float> b, std::size_t bias) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i == bias) continue;
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return aa == 0 || bb == 0 ? 0 : ab / std::sqrt(aa * bb);
}

// A catalog of planted items, dim 5 = 4 taste dimensions + a bias in the last one:
//   a0..a9  taste along dimension 0 (with a little noise), bias 1;
//   b0..b9  taste along dimension 1, bias 1;
//   p0..p4  "blockbusters": taste mostly along dimensions 2 and 3 with a long vector and a
//           large bias (10), the shape BPR gives popular items.
std::unique_ptr<Catalog> planted(Metric metric, IndexConfig index = {}) {
  auto c = std::make_unique<Catalog>("planted", 5, metric, index);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> noise(-0.05f, 0.05f);
  auto put = [&](const std::string& id, std::vector<float> v, double pop) {
    reco::ItemUpdate u;
    u.vector = std::move(v);
    u.popularity = pop;
    c->upsert(id, u);
  };
  for (int i = 0; i < 10; ++i) {
    put("a" + std::to_string(i), {1.0f, noise(rng), noise(rng), noise(rng), 1.0f}, 1);
    put("b" + std::to_string(i), {noise(rng), 1.0f, noise(rng), noise(rng), 1.0f}, 1);
  }
  for (int i = 0; i < 5; ++i)
    put("p" + std::to_string(i), {0.3f, 0.3f, 3.0f + 0.1f * i, 3.0f, 10.0f}, 1000);
  return c;
}

std::vector<std::string> ids(const Catalog& c, const std::vector<reco::Hit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.emplace_back(reco::view(c.item(h.id).id));
  return out;
}

std::size_t count_prefix(const std::vector<std::string>& v, char p) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [&](const auto& s) { return s[0] == p; }));
}

TEST(ItemSimilarity, BiasedItemsAreNotNeighboursOfAnUnrelatedItem) {
  for (IndexKind kind : {IndexKind::Flat, IndexKind::Auto}) {
    auto c = planted(Metric::InnerProduct, IndexConfig{.kind = kind});
    const std::uint32_t a0 = *c->find("a0");
    // The old behaviour, kept by RECO.KNN with the item's own vector: the inner product with
    // the bias puts every blockbuster ahead of the item's own cluster.
    reco::ItemFilter not_self;
    not_self.exclude(a0);
    auto old = ids(*c, reco::nearest(*c, c->vector(a0), 9, not_self));
    EXPECT_EQ(count_prefix(old, 'p'), 5u) << "the planted data must show the problem";

    c->set_bias_dim(4);
    auto now = ids(*c, reco::similar(*c, a0, 9, {}));
    ASSERT_EQ(now.size(), 9u);
    EXPECT_EQ(count_prefix(now, 'a'), 9u) << "neighbours must follow the taste direction";
    EXPECT_EQ(std::find(now.begin(), now.end(), "a0"), now.end());
    // And the b cluster's neighbours are b items, not blockbusters.
    auto nb = ids(*c, reco::similar(*c, *c->find("b3"), 9, {}));
    EXPECT_EQ(count_prefix(nb, 'b'), 9u);
    // The blockbusters are each other's neighbours (their taste directions agree).
    auto np = ids(*c, reco::similar(*c, *c->find("p0"), 4, {}));
    EXPECT_EQ(count_prefix(np, 'p'), 4u);
  }
}

TEST(ItemSimilarity, SessionSourceFollowsTheTasteDirections) {
  auto c = planted(Metric::InnerProduct);
  c->set_bias_dim(4);
  reco::RecommendRequest req;
  req.k = 8;
  for (reco::Source s : {reco::Source::Vector, reco::Source::Term, reco::Source::Popular})
    req.source(s).budget = 0;
  req.source(reco::Source::Session).budget = 8;
  req.session = {*c->find("a1"), *c->find("a2")};
  auto r = reco::recommend(*c, nullptr, req);
  std::vector<std::string> got;
  for (const auto& it : r.items) got.emplace_back(reco::view(c->item(it.id).id));
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(count_prefix(got, 'a'), 8u);
  EXPECT_EQ(std::find(got.begin(), got.end(), "a1"), got.end()) << "session items never return";
}

// Random data: the scores are the reference cosine over the non-bias dimensions, on the
// exact path (FLAT, AUTO below its threshold), for IP and COSINE catalogs, with the bias
// first or last.
TEST(ItemSimilarity, ExactPathMatchesTheReference) {
  for (Metric m : {Metric::InnerProduct, Metric::Cosine}) {
    for (std::uint32_t bias : {0u, 7u}) {
      for (IndexKind kind : {IndexKind::Flat, IndexKind::Auto}) {
        auto c = std::make_unique<Catalog>("r", 8, m, IndexConfig{.kind = kind});
        c->set_bias_dim(bias);
        std::mt19937_64 rng(11 + bias);
        std::vector<std::vector<float>> raw;
        for (int i = 0; i < 300; ++i) {
          auto v = reco_test::random_vector(rng, 8);
          v[bias] *= 20;  // a large bias, so that forgetting to drop it would show
          raw.push_back(v);
          reco::ItemUpdate u;
          u.vector = v;
          u.terms = std::vector<std::string>{i % 3 == 0 ? "x" : "y"};
          c->upsert("i" + std::to_string(i), u);
        }
        const std::uint32_t q = 17;
        reco::ItemFilter f;
        f.exclude(std::uint32_t{40});
        auto got = reco::similar(*c, q, 20, f);
        std::vector<reco_test::RefHit> ref;
        for (std::uint32_t d = 0; d < raw.size(); ++d)
          if (d != q && d != 40) ref.push_back({d, ref_cosine(raw[q], raw[d], bias)});
        std::sort(ref.begin(), ref.end(), [](auto& a, auto& b) { return a.score > b.score; });
        ASSERT_EQ(got.size(), 20u);
        for (std::size_t i = 0; i < got.size(); ++i) {
          EXPECT_NEAR(got[i].score, ref[i].score, 1e-4) << i;
          EXPECT_NEAR(reco::item_score(*c, c->vector(q), c->vector(got[i].id)), ref_cosine(raw[q], raw[got[i].id], bias), 1e-4);
        }
        EXPECT_EQ(got[0].id, ref[0].id);
        // HASTERM-like allow-list: only items carrying "x".
        reco::ItemFilter only_x;
        only_x.restrict_to(c->items_with_any_term(std::vector<std::string>{"x"}));
        for (const auto& h : reco::similar(*c, q, 10, only_x)) EXPECT_EQ(h.id % 3, 0u);
      }
    }
  }
}

TEST(ItemSimilarity, L2CatalogScoresByDistanceOverTheNonBiasDimensions) {
  Catalog c("l2", 3, Metric::L2, IndexConfig{.kind = IndexKind::Flat});
  c.set_bias_dim(2);
  auto put = [&](const char* id, std::vector<float> v) {
    reco::ItemUpdate u;
    u.vector = std::move(v);
    c.upsert(id, u);
  };
  put("q", {0, 0, 0});
  put("near-big-bias", {0.1f, 0, 50});
  put("far", {1, 1, 0});
  auto got = ids(c, reco::similar(c, *c.find("q"), 2, {}));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "near-big-bias");
  auto hits = reco::similar(c, *c.find("q"), 1, {});
  EXPECT_NEAR(hits[0].score, -0.01, 1e-6);
}

// Without a bias dimension a COSINE catalog already searches by the item-to-item score: the
// path is the index's own, and the answer is what it always was.
TEST(ItemSimilarity, CosineCatalogWithoutBiasIsUnchanged) {
  auto c = std::make_unique<Catalog>("c", 6, Metric::Cosine);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    reco::ItemUpdate u;
    u.vector = reco_test::random_vector(rng, 6);
    c->upsert("i" + std::to_string(i), u);
  }
  EXPECT_TRUE(reco::item_search_is_direct(*c));
  const std::uint32_t q = 5;
  reco::ItemFilter f;
  f.exclude(q);
  auto a = reco::similar(*c, q, 15, {});
  auto b = c->search(c->vector(q), 15, f);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].score, b[i].score);
  }
  c->set_bias_dim(5);
  EXPECT_FALSE(reco::item_search_is_direct(*c));
  Catalog ip("ip", 6, Metric::InnerProduct);
  EXPECT_FALSE(reco::item_search_is_direct(ip)) << "IP neighbours are re-scored by the cosine";
}

// The graph path (candidates from the index, re-scored) against the exact scan on the same
// items: recall@10 over 100 queries. Vectors like reco-train's: clustered taste dims whose
// length varies, and a bias that grows with the length (popular items have long vectors
// and a large bias). The lengths spread as the demo's trained vectors do (p1..p99 about
// 1.1..3.2); a wider spread (0.3..3.2) lowers the recall of the inner-product candidates,
// which a larger EF restores.
double graph_recall(float min_length, std::size_t ef) {
  const std::size_t dim = 17, n = 3000;
  Catalog graph("g", dim, Metric::InnerProduct, IndexConfig{.kind = IndexKind::Hnsw});
  Catalog flat("f", dim, Metric::InnerProduct, IndexConfig{.kind = IndexKind::Flat});
  graph.set_bias_dim(16);
  flat.set_bias_dim(16);
  std::mt19937_64 rng(5);
  std::vector<std::vector<float>> centres;
  for (int i = 0; i < 20; ++i) centres.push_back(reco_test::unit(reco_test::random_vector(rng, 16)));
  std::normal_distribution<float> g(0, 0.15f);
  std::uniform_real_distribution<float> len(min_length, 3.2f);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<float> v = centres[i % centres.size()];
    const float l = len(rng);
    for (auto& x : v) x = l * (x + g(rng));
    v.push_back(0.5f * l - 1.0f);
    reco::ItemUpdate u;
    u.vector = v;
    graph.upsert("i" + std::to_string(i), u);
    flat.upsert("i" + std::to_string(i), u);
  }
  EXPECT_FALSE(graph.searches_exactly());
  EXPECT_TRUE(flat.searches_exactly());
  std::size_t found = 0, total = 0;
  for (std::uint32_t q = 0; q < 100; ++q) {
    auto want = reco::similar(flat, q, 10, {});
    auto got = reco::similar(graph, q, 10, {}, ef);
    std::set<std::uint32_t> w;
    for (auto& h : want) w.insert(h.id);
    for (auto& h : got) found += w.count(h.id);
    total += want.size();
    for (std::size_t i = 1; i < got.size(); ++i) EXPECT_GE(got[i - 1].score, got[i].score);
  }
  return double(found) / double(total);
}

// Tight clusters (150 items each, all of high cosine to each other) are the hard case: the
// default 100 inner-product candidates are mostly the cluster's longest members, so the
// recall is well below the 0.97 measured on the demo's trained vectors (bench/RESULTS.md);
// EF widens the candidate list and restores it. A broken candidate path would score ~0.
TEST(ItemSimilarity, GraphPathRecallAgainstExactScan) {
  const double usual = graph_recall(1.1f, 0), usual_ef = graph_recall(1.1f, 1000);
  const double wide = graph_recall(0.3f, 0), wide_ef = graph_recall(0.3f, 1000);
  std::printf("graph recall@10: lengths 1.1..3.2: %.3f, with EF 1000: %.3f; lengths 0.3..3.2: %.3f, with EF 1000: %.3f\n",
              usual, usual_ef, wide, wide_ef);
  EXPECT_GE(usual, 0.6);
  EXPECT_GE(wide, 0.5);
  EXPECT_GE(usual_ef, 0.95);
  EXPECT_GE(wide_ef, 0.95);
  EXPECT_GT(usual_ef, usual);
  EXPECT_GT(wide_ef, wide);
}

TEST(ItemSimilarity, BiasDimValidation) {
  Catalog c("v", 4, Metric::InnerProduct);
  const auto v0 = c.version();
  EXPECT_THROW(c.set_bias_dim(4), reco::Error);
  EXPECT_FALSE(c.bias_dim());
  EXPECT_EQ(c.version(), v0) << "a refused change changes nothing";
  c.set_bias_dim(3);
  EXPECT_EQ(c.bias_dim(), 3u);
  EXPECT_EQ(c.version(), v0 + 1);
  c.set_bias_dim(3);
  EXPECT_EQ(c.version(), v0 + 1) << "setting the same value is not a change";
  c.set_bias_dim(std::nullopt);
  EXPECT_FALSE(c.bias_dim());
  Catalog one("one", 1, Metric::InnerProduct);
  EXPECT_THROW(one.set_bias_dim(0), reco::Error);
  EXPECT_FALSE(one.bias_dim());
}

std::string save(const Catalog& c) {
  reco::BufferSink s;
  reco::save_catalog(c, s);
  return s.bytes();
}

TEST(ItemSimilarity, BiasDimSurvivesAReloadAndTheOldEncodingLoads) {
  auto c = planted(Metric::InnerProduct);
  c->set_bias_dim(4);
  const std::string bytes = save(*c);
  {
    reco::BufferSource in(bytes);
    auto back = reco::load_catalog(in, reco::kCatalogEncoding);
    EXPECT_EQ(back->bias_dim(), 4u);
    EXPECT_EQ(back->version(), c->version());
    auto x = reco::similar(*c, 0, 9, {}), y = reco::similar(*back, 0, 9, {});
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i].id, y[i].id);
  }
  // Encoding 2 is encoding 3 without its last field (the bias dimension): it still loads,
  // with none.
  ASSERT_EQ(reco::kCatalogEncoding, 3u);
  {
    const std::string v2 = bytes.substr(0, bytes.size() - 8);
    reco::BufferSource in(v2);
    auto back = reco::load_catalog(in, 2);
    EXPECT_FALSE(back->bias_dim());
    EXPECT_EQ(back->size(), c->size());
    // The same bytes read as encoding 3 are truncated.
    reco::BufferSource in3(v2);
    EXPECT_THROW(reco::load_catalog(in3, 3), reco::Error);
  }
  // A bias dimension outside the catalog is refused.
  {
    std::string bad = bytes;
    bad[bad.size() - 8] = 6;  // dim 5: stored values 0..5 only
    reco::BufferSource in(bad);
    EXPECT_THROW(reco::load_catalog(in, reco::kCatalogEncoding), reco::Error);
  }
}

}  // namespace
