// recommend(), similar() and nearest() on a small catalog, checked against references the
// test computes itself: brute-force vector recall, the catalog's popular order, and the
// blend formula. The central promises: filtered items (seen, EXCLUDE, SESSION) never appear,
// and filtering happens inside recall so K unseen items come back whenever they exist.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco/fingerprint.hpp"
#include "reco/recommender.hpp"
#include "reference.hpp"

namespace {

using reco::Catalog;
using reco::Metric;
using reco::Source;

constexpr std::size_t kDim = 8;
constexpr std::uint32_t kItems = 300;

std::string item_id(std::uint32_t i) { return "item:" + std::to_string(i); }

std::uint8_t bit(Source s) { return std::uint8_t(1u << static_cast<unsigned>(s)); }

// Items 0..299; every 25th has no vector; genres g0..g5, two per item; popularity with
// ties.
struct World {
  std::unique_ptr<Catalog> catalog;
  std::vector<std::vector<float>> raw;  // by dense id; empty if no vector

  explicit World(Metric m = Metric::InnerProduct, std::uint64_t seed = 1) {
    catalog = std::make_unique<Catalog>("c", kDim, m);
    std::mt19937_64 rng(seed);
    for (std::uint32_t i = 0; i < kItems; ++i) {
      reco::ItemUpdate u;
      std::vector<float> v = reco_test::random_vector(rng, kDim);
      if (i % 25 != 7) u.vector = v;
      u.terms = std::vector<std::string>{"g" + std::to_string(i % 6),
                                         "h" + std::to_string((i / 6) % 5)};
      u.popularity = double((i * 37) % 101);
      u.time = 1000 + (i % 13);
      catalog->upsert(item_id(i), u);
      std::uint32_t d = dense(item_id(i));
      if (raw.size() <= d) raw.resize(d + 1);
      if (i % 25 != 7) raw[d] = v;
    }
  }
  std::uint32_t dense(const std::string& id) const { return *catalog->find(id); }
  bool has_vector(std::uint32_t d) const { return d < raw.size() && !raw[d].empty(); }
};

reco::RecommendRequest request(std::size_t k) {
  reco::RecommendRequest r;
  r.k = k;
  r.sources = reco::default_sources(k);
  return r;
}

reco::RecommendRequest only(Source s, std::size_t k, std::size_t budget, double weight) {
  reco::RecommendRequest r = request(k);
  for (auto& c : r.sources) c.budget = 0;
  r.source(s) = {budget, weight};
  return r;
}

void see(reco::UserProfile& u, const std::vector<std::uint32_t>& dense, const Catalog& c) {
  std::vector<std::uint64_t> fps;
  for (auto d : dense) fps.push_back(reco::fingerprint(reco::view(c.item(d).id)));
  u.seen.add(fps);
}

// Invariants of every result: at most k, no duplicates, live ids, nothing filtered, sorted.
void check_basic(const reco::RecommendResult& r, const Catalog& c, std::size_t k,
                 const std::set<std::uint32_t>& forbidden) {
  EXPECT_LE(r.items.size(), k);
  std::set<std::uint32_t> ids;
  for (std::size_t i = 0; i < r.items.size(); ++i) {
    const auto& it = r.items[i];
    EXPECT_TRUE(c.live(it.id)) << it.id;
    EXPECT_TRUE(ids.insert(it.id).second) << "duplicate " << it.id;
    EXPECT_FALSE(forbidden.count(it.id)) << "filtered item returned: " << it.id;
    EXPECT_NE(it.sources, 0) << it.id;
    if (i > 0) {
      EXPECT_GE(r.items[i - 1].score, it.score) << "pos " << i;
    }
  }
}

std::vector<std::uint32_t> ids_of(const reco::RecommendResult& r) {
  std::vector<std::uint32_t> out;
  for (auto& it : r.items) out.push_back(it.id);
  return out;
}

TEST(Recommender, SourceNames) {
  for (Source s : {Source::Vector, Source::Term, Source::Session, Source::Popular}) {
    auto p = reco::parse_source(reco::source_name(s));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p, s);
  }
  EXPECT_EQ(reco::source_name(Source::Vector), "vector");
  EXPECT_EQ(reco::parse_source("POPULAR"), Source::Popular);
  EXPECT_EQ(reco::parse_source("Session"), Source::Session);
  EXPECT_FALSE(reco::parse_source("vectors").has_value());
  EXPECT_FALSE(reco::parse_source("").has_value());
}

TEST(Recommender, DefaultSources) {
  auto d = reco::default_sources(37);
  EXPECT_EQ(d[0].budget, 200u);
  EXPECT_EQ(d[0].weight, 1.0);
  EXPECT_EQ(d[1].budget, 200u);
  EXPECT_EQ(d[1].weight, 0.5);
  EXPECT_EQ(d[2].budget, 100u);
  EXPECT_EQ(d[2].weight, 1.0);
  EXPECT_EQ(d[3].budget, 37u);
  EXPECT_EQ(d[3].weight, 0.01);
}

TEST(Recommender, BlendScoreFormula) {
  EXPECT_DOUBLE_EQ(reco::blend_score(0, 10, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(reco::blend_score(5, 10, 2.0), 1.0);
  EXPECT_DOUBLE_EQ(reco::blend_score(9, 10, 1.0), 0.1);
  EXPECT_DOUBLE_EQ(reco::blend_score(0, 1, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(reco::blend_score(3, 4, 0.01), 0.0025);
  EXPECT_DOUBLE_EQ(reco::blend_score(100, 200, 0.5), 0.25);
}

TEST(Recommender, ColdUserGetsPopularOrder) {
  World w;
  const auto order = w.catalog->popular_order().to_vector();
  for (const reco::UserProfile* user : {static_cast<const reco::UserProfile*>(nullptr)}) {
    auto r = reco::recommend(*w.catalog, user, request(10));
    check_basic(r, *w.catalog, 10, {});
    EXPECT_TRUE(r.stats.cold);
    ASSERT_EQ(r.items.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i) {
      EXPECT_EQ(r.items[i].id, order[i]) << i;
      EXPECT_EQ(r.items[i].sources, bit(Source::Popular));
      EXPECT_NEAR(r.items[i].score, reco::blend_score(i, 10, 0.01), 1e-12);
    }
  }
  // A user with nothing but a seen-set is cold too: popular order minus what was seen.
  reco::UserProfile u;
  see(u, {order[0], order[2], order[5]}, *w.catalog);
  auto r = reco::recommend(*w.catalog, &u, request(5));
  EXPECT_TRUE(r.stats.cold);
  EXPECT_EQ(ids_of(r), (std::vector<std::uint32_t>{order[1], order[3], order[4], order[6],
                                                   order[7]}));
}

TEST(Recommender, ColdUserExclude) {
  World w;
  const auto order = w.catalog->popular_order().to_vector();
  auto req = request(4);
  req.exclude = {order[1], order[0], order[3]};
  auto r = reco::recommend(*w.catalog, nullptr, req);
  check_basic(r, *w.catalog, 4, {order[0], order[1], order[3]});
  EXPECT_EQ(ids_of(r), (std::vector<std::uint32_t>{order[2], order[4], order[5], order[6]}));
}

TEST(Recommender, VectorOnlyMatchesBruteForceAndBlend) {
  World w;
  std::mt19937_64 rng(99);
  reco::UserProfile u;
  auto q = reco_test::random_vector(rng, kDim);
  u.vector.assign(q.begin(), q.end());
  auto r = reco::recommend(*w.catalog, &u, only(Source::Vector, 20, 30, 2.0));
  EXPECT_FALSE(r.stats.cold);
  auto ref = reco_test::brute_force(
      Metric::InnerProduct, q, w.raw, [&](auto d) { return w.has_vector(d); },
      [](auto) { return true; }, 20);
  ASSERT_EQ(r.items.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(r.items[i].id, ref[i].id) << i;
    EXPECT_NEAR(r.items[i].score, reco::blend_score(i, 30, 2.0), 1e-9) << i;
    EXPECT_EQ(r.items[i].sources, bit(Source::Vector));
  }
  EXPECT_EQ(r.stats.recalled[0], 30u);
  EXPECT_EQ(r.stats.recalled[1], 0u);
  EXPECT_EQ(r.stats.recalled[3], 0u);
}

TEST(Recommender, SeenNeverReturnedWhileUnseenExist) {
  World w;
  std::mt19937_64 rng(5);
  reco::UserProfile u;
  auto q = reco_test::random_vector(rng, kDim);
  u.vector.assign(q.begin(), q.end());
  u.terms.push_back({reco::to_string("g1"), 3.0f});
  std::vector<std::uint32_t> all;
  for (std::uint32_t i = 0; i < kItems; ++i) all.push_back(w.dense(item_id(i)));
  std::shuffle(all.begin(), all.end(), rng);
  std::vector<std::uint32_t> seen(all.begin(), all.begin() + 290);
  std::vector<std::uint32_t> unseen(all.begin() + 290, all.end());
  see(u, seen, *w.catalog);
  std::set<std::uint32_t> forbidden(seen.begin(), seen.end());

  auto r = reco::recommend(*w.catalog, &u, request(10));
  check_basic(r, *w.catalog, 10, forbidden);
  auto got = ids_of(r);
  std::sort(got.begin(), got.end());
  std::sort(unseen.begin(), unseen.end());
  EXPECT_EQ(got, unseen);  // exactly the ten that are left

  auto r5 = reco::recommend(*w.catalog, &u, request(5));
  check_basic(r5, *w.catalog, 5, forbidden);
  EXPECT_EQ(r5.items.size(), 5u);
}

TEST(Recommender, VectorRecallFiltersInsideTheSearch) {
  // The user has seen the 280 items nearest to their own vector; with the vector source
  // alone they must still get K items: the next nearest unseen ones.
  World w;
  std::mt19937_64 rng(6);
  reco::UserProfile u;
  auto q = reco_test::random_vector(rng, kDim);
  u.vector.assign(q.begin(), q.end());
  auto has = [&](auto d) { return w.has_vector(d); };
  auto nearest = reco_test::brute_force(Metric::InnerProduct, q, w.raw, has,
                                        [](auto) { return true; }, 280);
  std::vector<std::uint32_t> seen;
  for (auto& h : nearest) seen.push_back(h.id);
  see(u, seen, *w.catalog);
  std::set<std::uint32_t> forbidden(seen.begin(), seen.end());
  auto ref = reco_test::brute_force(Metric::InnerProduct, q, w.raw, has,
                                     [&](auto d) { return !forbidden.count(d); }, 10);
  ASSERT_EQ(ref.size(), 8u);  // 288 items have vectors: 8 remain

  auto r = reco::recommend(*w.catalog, &u, only(Source::Vector, 10, 200, 1.0));
  check_basic(r, *w.catalog, 10, forbidden);
  ASSERT_EQ(r.items.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(r.items[i].id, ref[i].id) << i;

  // With the popular source on as well, the two without vectors fill up to K.
  auto full = reco::recommend(*w.catalog, &u, request(10));
  check_basic(full, *w.catalog, 10, forbidden);
  EXPECT_EQ(full.items.size(), 10u);
}

TEST(Recommender, BlendSumsTheSourcesThatRecalledAnItem) {
  World w;
  std::mt19937_64 rng(8);
  reco::UserProfile u;
  auto q = reco_test::random_vector(rng, kDim);
  u.vector.assign(q.begin(), q.end());
  std::vector<std::uint32_t> seen;
  for (std::uint32_t i = 0; i < kItems; i += 3) seen.push_back(w.dense(item_id(i)));
  see(u, seen, *w.catalog);
  std::set<std::uint32_t> forbidden(seen.begin(), seen.end());

  const std::size_t kv = 40, kp = 60;
  reco::RecommendRequest req = request(25);
  req.source(Source::Term).budget = 0;
  req.source(Source::Session).budget = 0;
  req.source(Source::Vector) = {kv, 1.0};
  req.source(Source::Popular) = {kp, 0.3};
  auto r = reco::recommend(*w.catalog, &u, req);
  check_basic(r, *w.catalog, 25, forbidden);
  ASSERT_EQ(r.items.size(), 25u);

  std::map<std::uint32_t, std::size_t> vrank, prank;
  auto vref = reco_test::brute_force(Metric::InnerProduct, q, w.raw,
                                     [&](auto d) { return w.has_vector(d); },
                                     [&](auto d) { return !forbidden.count(d); }, kv);
  for (std::size_t i = 0; i < vref.size(); ++i) vrank[vref[i].id] = i;
  for (auto d : w.catalog->popular_order())
    if (!forbidden.count(d) && prank.size() < kp) prank.emplace(d, prank.size());

  for (const auto& it : r.items) {
    double expect = 0;
    if (it.sources & bit(Source::Vector)) {
      ASSERT_TRUE(vrank.count(it.id)) << "vector bit on an item outside the vector top-" << kv;
      expect += reco::blend_score(vrank[it.id], kv, 1.0);
    } else {
      EXPECT_FALSE(vrank.count(it.id)) << "item " << it.id << " is in the vector top list";
    }
    if (it.sources & bit(Source::Popular)) {
      ASSERT_TRUE(prank.count(it.id)) << "popular bit on an item outside the popular top";
      expect += reco::blend_score(prank[it.id], kp, 0.3);
    }
    EXPECT_EQ(it.sources & (bit(Source::Term) | bit(Source::Session)), 0);
    EXPECT_NEAR(it.score, expect, 1e-9) << "item " << it.id;
  }
  // Every source contributes its whole (filtered) list, so the result is the best 25 of the
  // union by the summed blend, ties by popular order then dense id.
  std::map<std::uint32_t, std::size_t> rank;
  for (auto d : w.catalog->popular_order()) rank.emplace(d, rank.size());
  std::map<std::uint32_t, double> expect;
  for (auto& [d, i] : vrank) expect[d] += reco::blend_score(i, kv, 1.0);
  for (auto& [d, i] : prank) expect[d] += reco::blend_score(i, kp, 0.3);
  std::vector<std::pair<std::uint32_t, double>> all(expect.begin(), expect.end());
  std::sort(all.begin(), all.end(), [&](const auto& x, const auto& y) {
    if (x.second != y.second) return x.second > y.second;
    if (rank[x.first] != rank[y.first]) return rank[x.first] < rank[y.first];
    return x.first < y.first;
  });
  EXPECT_EQ(r.stats.candidates, all.size());
  for (std::size_t i = 0; i < r.items.size(); ++i) {
    EXPECT_EQ(r.items[i].id, all[i].first) << i;
    EXPECT_NEAR(r.items[i].score, all[i].second, 1e-9) << i;
  }
}

TEST(Recommender, TermSourceFollowsUserWeights) {
  World w;
  reco::UserProfile u;
  u.terms.push_back({reco::to_string("g1"), 2.0f});
  u.terms.push_back({reco::to_string("h3"), 1.0f});
  u.terms.push_back({reco::to_string("no-such-term"), 5.0f});
  auto r = reco::recommend(*w.catalog, &u, only(Source::Term, 80, 200, 1.0));
  check_basic(r, *w.catalog, 80, {});
  EXPECT_FALSE(r.stats.cold);
  auto carried = [&](std::uint32_t d) {
    double s = 0;
    for (auto& t : w.catalog->item(d).terms) {
      if (reco::view(t) == "g1") s += 2.0;
      if (reco::view(t) == "h3") s += 1.0;
    }
    return s;
  };
  // 50 items carry g1, 60 carry h3, 10 carry both: 100 candidates.
  ASSERT_EQ(r.items.size(), 80u);
  double last = 1e9;
  std::size_t both = 0;
  for (auto& it : r.items) {
    double s = carried(it.id);
    EXPECT_GT(s, 0) << "item without any of the user's terms";
    EXPECT_LE(s, last) << "term recall not ordered by the user's weights";
    last = s;
    if (s == 3.0) ++both;
    EXPECT_EQ(it.sources, bit(Source::Term));
  }
  EXPECT_EQ(both, 10u);
}

TEST(Recommender, SessionNeighboursAndSessionItemsNeverReturned) {
  World w;
  std::uint32_t a = w.dense(item_id(10)), b = w.dense(item_id(11));
  auto req = only(Source::Session, 10, 100, 1.0);
  req.session = {a};
  auto r = reco::recommend(*w.catalog, nullptr, req);
  check_basic(r, *w.catalog, 10, {a});
  EXPECT_FALSE(r.stats.cold);
  ASSERT_EQ(r.items.size(), 10u);
  // Session neighbours are item-to-item: the cosine, even in an IP catalog
  // (reco/item_similarity.hpp; this catalog declares no bias dimension).
  auto ref = reco_test::brute_force(
      Metric::Cosine, w.raw[a], w.raw, [&](auto d) { return w.has_vector(d); },
      [&](auto d) { return d != a; }, 10);
  for (std::size_t i = 0; i < r.items.size(); ++i) EXPECT_EQ(r.items[i].id, ref[i].id) << i;
  for (auto& it : r.items) EXPECT_EQ(it.sources, bit(Source::Session));

  // Two session items: neither comes back, with any source mix.
  req = request(20);
  req.session = {a, b};
  reco::UserProfile u;
  u.vector.assign(w.raw[a].begin(), w.raw[a].end());  // a is the user's own best match
  u.terms.push_back({reco::to_string("g4"), 1.0f});   // item 10 is g4
  auto r2 = reco::recommend(*w.catalog, &u, req);
  check_basic(r2, *w.catalog, 20, {a, b});
  EXPECT_EQ(r2.items.size(), 20u);
  EXPECT_GT(r2.stats.recalled[static_cast<int>(Source::Session)], 0u);
}

TEST(Recommender, ExcludeWinsOverEverySource) {
  World w;
  reco::UserProfile u;
  std::uint32_t a = w.dense(item_id(20));
  u.vector.assign(w.raw[a].begin(), w.raw[a].end());
  u.terms.push_back({reco::to_string("g2"), 1.0f});  // item 20 is g2
  const auto order = w.catalog->popular_order().to_vector();
  auto req = request(30);
  req.session = {w.dense(item_id(21))};
  req.exclude = {a, order[0], order[1]};
  auto r = reco::recommend(*w.catalog, &u, req);
  check_basic(r, *w.catalog, 30, {a, order[0], order[1], w.dense(item_id(21))});
  EXPECT_EQ(r.items.size(), 30u);
}

TEST(Recommender, ZeroBudgetDisablesASource) {
  World w;
  reco::UserProfile u;
  std::mt19937_64 rng(3);
  auto q = reco_test::random_vector(rng, kDim);
  u.vector.assign(q.begin(), q.end());
  u.terms.push_back({reco::to_string("g0"), 1.0f});
  for (Source off : {Source::Vector, Source::Term, Source::Popular}) {
    auto req = request(30);
    req.source(off).budget = 0;
    auto r = reco::recommend(*w.catalog, &u, req);
    check_basic(r, *w.catalog, 30, {});
    EXPECT_EQ(r.stats.recalled[static_cast<int>(off)], 0u) << reco::source_name(off);
    for (auto& it : r.items) EXPECT_EQ(it.sources & bit(off), 0) << reco::source_name(off);
    EXPECT_FALSE(r.items.empty());
  }
  auto req = request(30);
  for (auto& s : req.sources) s.budget = 0;
  EXPECT_TRUE(reco::recommend(*w.catalog, &u, req).items.empty());
  EXPECT_TRUE(reco::recommend(*w.catalog, nullptr, req).items.empty());
}

TEST(Recommender, UserVectorOfAnotherDimensionIsIgnored) {
  World w;
  reco::UserProfile u;
  u.vector.assign({1.0f, 2.0f, 3.0f});
  auto r = reco::recommend(*w.catalog, &u, only(Source::Vector, 10, 100, 1.0));
  EXPECT_TRUE(r.items.empty());
  auto r2 = reco::recommend(*w.catalog, &u, request(10));
  check_basic(r2, *w.catalog, 10, {});
  EXPECT_EQ(r2.items.size(), 10u);
  for (auto& it : r2.items) EXPECT_EQ(it.sources & bit(Source::Vector), 0);
}

TEST(Recommender, KBeyondTheCatalogReturnsEveryUnseenItem) {
  World w;
  reco::UserProfile u;
  std::mt19937_64 rng(4);
  auto q = reco_test::random_vector(rng, kDim);
  u.vector.assign(q.begin(), q.end());
  std::vector<std::uint32_t> seen;
  for (std::uint32_t i = 0; i < 20; ++i) seen.push_back(w.dense(item_id(i * 7)));
  see(u, seen, *w.catalog);
  auto r = reco::recommend(*w.catalog, &u, request(1000));
  check_basic(r, *w.catalog, 1000, std::set<std::uint32_t>(seen.begin(), seen.end()));
  EXPECT_EQ(r.items.size(), kItems - 20);
  EXPECT_GE(r.stats.candidates, r.items.size());
}

TEST(Recommender, Deterministic) {
  World w1(Metric::Cosine, 17), w2(Metric::Cosine, 17);
  reco::UserProfile u;
  std::mt19937_64 rng(12);
  auto q = reco_test::random_vector(rng, kDim);
  u.vector.assign(q.begin(), q.end());
  u.terms.push_back({reco::to_string("g3"), 1.0f});
  see(u, {w1.dense(item_id(1)), w1.dense(item_id(2))}, *w1.catalog);
  auto req = request(50);
  req.session = {w1.dense(item_id(40))};
  auto a = reco::recommend(*w1.catalog, &u, req);
  auto b = reco::recommend(*w1.catalog, &u, req);
  auto c = reco::recommend(*w2.catalog, &u, req);
  ASSERT_EQ(a.items.size(), 50u);
  for (auto* other : {&b, &c}) {
    ASSERT_EQ(other->items.size(), a.items.size());
    for (std::size_t i = 0; i < a.items.size(); ++i) {
      EXPECT_EQ(other->items[i].id, a.items[i].id);
      EXPECT_EQ(other->items[i].score, a.items[i].score);
      EXPECT_EQ(other->items[i].sources, a.items[i].sources);
    }
  }
}

TEST(Recommender, SimilarExcludesTheItemAndMatchesBruteForce) {
  World w(Metric::Cosine, 21);
  std::uint32_t a = w.dense(item_id(33));
  reco::ItemFilter f;
  std::uint32_t banned = w.dense(item_id(34));
  f.exclude(banned);
  auto got = reco::similar(*w.catalog, a, 15, f);
  auto ref = reco_test::brute_force(
      Metric::Cosine, w.raw[a], w.raw, [&](auto d) { return w.has_vector(d); },
      [&](auto d) { return d != a && d != banned; }, 15);
  ASSERT_EQ(got.size(), 15u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NE(got[i].id, a);
    EXPECT_NE(got[i].id, banned);
    EXPECT_NEAR(got[i].score, ref[i].score, 1e-4) << i;
  }
  EXPECT_EQ(got[0].id, ref[0].id);
  // An item without a vector has no neighbours.
  EXPECT_TRUE(reco::similar(*w.catalog, w.dense(item_id(7)), 5, {}).empty());
}

TEST(Recommender, NearestNormalisesCosineQueries) {
  World w(Metric::Cosine, 22);
  std::mt19937_64 rng(23);
  auto q = reco_test::random_vector(rng, kDim);
  auto big = q;
  for (auto& x : big) x *= 40.0f;
  auto a = reco::nearest(*w.catalog, q, 12, {});
  auto b = reco::nearest(*w.catalog, big, 12, {});
  auto ref = reco_test::brute_force(Metric::Cosine, q, w.raw,
                                    [&](auto d) { return w.has_vector(d); },
                                    [](auto) { return true; }, 12);
  ASSERT_EQ(a.size(), 12u);
  ASSERT_EQ(b.size(), 12u);
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_NEAR(a[i].score, ref[i].score, 1e-4) << i;
    EXPECT_NEAR(b[i].score, ref[i].score, 1e-4) << i;
    EXPECT_LE(a[i].score, 1.0001f);
  }
}

}  // namespace
