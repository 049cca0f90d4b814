// Catalog: upserts with partial updates, erase, dense-id reuse, the default (popular) order,
// and the promise that a call which throws changes nothing at all.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "reco/catalog.hpp"
#include "reco/error.hpp"
#include "reco/fingerprint.hpp"

namespace {

using reco::Catalog;
using reco::ItemUpdate;
using reco::Metric;

ItemUpdate with_vector(std::vector<float> v) {
  ItemUpdate u;
  u.vector = std::move(v);
  return u;
}

// Everything observable about a catalog, in a comparable form.
struct Snapshot {
  std::size_t size, id_bound, vectors, term_count;
  std::uint64_t version;
  std::map<std::string, std::string> items;  // id -> printed fields
  std::map<std::string, std::vector<std::uint32_t>> postings;
  std::vector<std::uint32_t> popular;
  bool operator==(const Snapshot&) const = default;
};

std::string print_item(const Catalog& c, std::uint32_t d) {
  const reco::Item& it = c.item(d);
  std::string s = "dense=" + std::to_string(d) + " pop=" + std::to_string(it.popularity) +
                  " time=" + std::to_string(it.time) + " terms=";
  for (auto& t : it.terms) s += std::string(reco::view(t)) + ",";
  s += " features=";
  for (auto& f : it.features)
    s += std::string(reco::view(f.name)) + "=" + std::string(reco::view(f.value)) + ",";
  s += " vec=";
  for (float x : c.vector(d)) s += std::to_string(x) + ",";
  s += " fp=" + std::to_string(c.fingerprints()[d]);
  return s;
}

Snapshot snap(const Catalog& c, const std::vector<std::string>& terms) {
  Snapshot s{c.size(), c.id_bound(), c.vectors().size(), c.terms().term_count(), c.version(),
             {}, {}, {}};
  for (std::uint32_t d = 0; d < c.id_bound(); ++d)
    if (c.live(d)) s.items[std::string(reco::view(c.item(d).id))] = print_item(c, d);
  for (auto& t : terms) {
    auto p = c.terms().postings(t);
    s.postings[t] = {p.begin(), p.end()};
  }
  s.popular = c.popular_order().to_vector();
  return s;
}

std::vector<std::string> ids_in(const Catalog& c, const reco::PopularList& dense) {
  std::vector<std::string> out;
  for (auto d : dense) out.emplace_back(reco::view(c.item(d).id));
  return out;
}

// The order agrees with popular_before(), which ranking ties use.
void expect_order_agrees_with_before(const Catalog& c) {
  const auto order = c.popular_order().to_vector();
  for (std::size_t r = 1; r < order.size(); ++r)
    EXPECT_TRUE(c.popular_before(order[r - 1], order[r])) << r;
}

TEST(Catalog, DimensionBounds) {
  EXPECT_THROW(Catalog("c", 0, Metric::Cosine), reco::Error);
  EXPECT_THROW(Catalog("c", reco::kMaxDim + 1, Metric::Cosine), reco::Error);
  Catalog big("c", reco::kMaxDim, Metric::L2);
  EXPECT_EQ(big.dim(), reco::kMaxDim);
  Catalog c("name", 4, Metric::InnerProduct);
  EXPECT_EQ(c.name(), "name");
  EXPECT_EQ(c.metric(), Metric::InnerProduct);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.popular_order().empty());
}

TEST(Catalog, UpsertCreatesThenUpdates) {
  Catalog c("c", 3, Metric::InnerProduct);
  std::uint64_t v0 = c.version();
  ItemUpdate u = with_vector({1, 2, 3});
  u.terms = std::vector<std::string>{"drama", "war"};
  u.popularity = 5;
  u.time = 1700000000;
  u.features = std::vector<std::pair<std::string, std::string>>{{"year", "1999"}, {"lang", "en"}};
  EXPECT_TRUE(c.upsert("m1", u));
  EXPECT_GT(c.version(), v0);
  EXPECT_EQ(c.size(), 1u);
  auto d = c.find("m1");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(c.live(*d));
  EXPECT_EQ(c.fingerprints()[*d], reco::fingerprint("m1"));
  const reco::Item& it = c.item(*d);
  EXPECT_EQ(reco::view(it.id), "m1");
  ASSERT_EQ(it.terms.size(), 2u);
  EXPECT_EQ(it.popularity, 5);
  EXPECT_EQ(it.time, 1700000000);
  ASSERT_EQ(it.features.size(), 2u);
  EXPECT_EQ(reco::view(it.features[0].name), "year");
  EXPECT_EQ(reco::view(it.features[0].value), "1999");
  auto vec = c.vector(*d);
  EXPECT_EQ(std::vector<float>(vec.begin(), vec.end()), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(c.terms().postings("drama").size(), 1u);
  EXPECT_EQ(c.vectors().size(), 1u);

  // Only popularity: everything else kept.
  std::uint64_t v1 = c.version();
  ItemUpdate p;
  p.popularity = 9;
  EXPECT_FALSE(c.upsert("m1", p));
  EXPECT_GT(c.version(), v1);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(*c.find("m1"), *d);
  EXPECT_EQ(c.item(*d).popularity, 9);
  EXPECT_EQ(c.item(*d).time, 1700000000);
  EXPECT_EQ(c.item(*d).terms.size(), 2u);
  EXPECT_EQ(c.item(*d).features.size(), 2u);
  EXPECT_EQ(c.vector(*d).size(), 3u);

  // TERMS replace the whole list; the index follows.
  ItemUpdate t;
  t.terms = std::vector<std::string>{"comedy"};
  EXPECT_FALSE(c.upsert("m1", t));
  ASSERT_EQ(c.item(*d).terms.size(), 1u);
  EXPECT_EQ(reco::view(c.item(*d).terms[0]), "comedy");
  EXPECT_TRUE(c.terms().postings("drama").empty());
  EXPECT_TRUE(c.terms().postings("war").empty());
  EXPECT_EQ(c.terms().postings("comedy").size(), 1u);

  // FEATURES replace too; an empty list clears.
  ItemUpdate f;
  f.features = std::vector<std::pair<std::string, std::string>>{};
  c.upsert("m1", f);
  EXPECT_TRUE(c.item(*d).features.empty());

  // A new vector replaces the old one in the index.
  c.upsert("m1", with_vector({-1, 0, 0}));
  vec = c.vector(*d);
  EXPECT_EQ(std::vector<float>(vec.begin(), vec.end()), (std::vector<float>{-1, 0, 0}));
  EXPECT_EQ(c.vectors().size(), 1u);
}

TEST(Catalog, NewItemDefaults) {
  Catalog c("c", 2, Metric::Cosine);
  EXPECT_TRUE(c.upsert("bare", ItemUpdate{}));
  auto d = c.find("bare");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(c.vector(*d).empty());
  EXPECT_TRUE(c.item(*d).terms.empty());
  EXPECT_EQ(c.item(*d).popularity, 0);
  EXPECT_EQ(c.item(*d).time, 0);
  EXPECT_TRUE(c.item(*d).features.empty());
  EXPECT_EQ(c.vectors().size(), 0u);
  EXPECT_EQ(c.size(), 1u);
}

TEST(Catalog, CosineVectorsAreStoredNormalised) {
  Catalog c("c", 2, Metric::Cosine);
  c.upsert("x", with_vector({3, 4}));
  auto v = c.vector(*c.find("x"));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NEAR(v[0], 0.6, 1e-6);
  EXPECT_NEAR(v[1], 0.8, 1e-6);
}

TEST(Catalog, EraseAndIdReuse) {
  Catalog c("c", 2, Metric::InnerProduct);
  for (std::string id : {"a", "b", "c"}) {
    ItemUpdate u = with_vector({1, 0});
    u.terms = std::vector<std::string>{"t"};
    c.upsert(id, u);
  }
  auto b = *c.find("b");
  std::uint64_t v = c.version();
  EXPECT_TRUE(c.erase("b"));
  EXPECT_GT(c.version(), v);
  EXPECT_FALSE(c.find("b").has_value());
  EXPECT_FALSE(c.live(b));
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.vectors().size(), 2u);
  EXPECT_FALSE(c.vectors().contains(b));
  EXPECT_EQ(c.terms().postings("t").size(), 2u);
  for (auto d : c.popular_order()) EXPECT_NE(d, b);

  v = c.version();
  EXPECT_FALSE(c.erase("b"));
  EXPECT_FALSE(c.erase("never"));
  EXPECT_EQ(c.size(), 2u);

  // The freed dense id is handed to the next new item; the arrays do not grow.
  std::uint32_t bound = c.id_bound();
  EXPECT_TRUE(c.upsert("d", ItemUpdate{}));
  EXPECT_EQ(*c.find("d"), b);
  EXPECT_EQ(c.id_bound(), bound);
  // ... and it starts clean: nothing of "b" leaks into "d".
  EXPECT_TRUE(c.vector(b).empty());
  EXPECT_TRUE(c.item(b).terms.empty());
  EXPECT_EQ(c.fingerprints()[b], reco::fingerprint("d"));
  EXPECT_EQ(c.terms().postings("t").size(), 2u);
  // Re-adding "b" is a create.
  EXPECT_TRUE(c.upsert("b", ItemUpdate{}));
  EXPECT_EQ(c.size(), 4u);
}

TEST(Catalog, BinarySafeIds) {
  Catalog c("c", 1, Metric::L2);
  std::string nul("x\0y", 3);
  EXPECT_TRUE(c.upsert(nul, with_vector({1})));
  EXPECT_TRUE(c.upsert("x", with_vector({2})));
  EXPECT_EQ(c.size(), 2u);
  ASSERT_TRUE(c.find(nul).has_value());
  EXPECT_NE(*c.find(nul), *c.find("x"));
  EXPECT_EQ(reco::view(c.item(*c.find(nul)).id), nul);
  EXPECT_FALSE(c.find(std::string_view("x\0", 2)).has_value());
}

TEST(Catalog, InvalidUpdatesChangeNothing) {
  Catalog c("c", 3, Metric::Cosine);
  ItemUpdate base = with_vector({1, 2, 3});
  base.terms = std::vector<std::string>{"a", "b"};
  base.popularity = 2;
  base.time = 10;
  base.features = std::vector<std::pair<std::string, std::string>>{{"k", "v"}};
  c.upsert("keep", base);
  c.upsert("other", with_vector({0, 1, 0}));
  c.erase("other");  // leave a free slot, so a bad create cannot hide in it unnoticed
  const std::vector<std::string> terms{"a", "b", "x"};
  const Snapshot before = snap(c, terms);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<ItemUpdate> bad;
  bad.push_back(with_vector({1, 2}));
  bad.push_back(with_vector({1, 2, 3, 4}));
  bad.push_back(with_vector({}));
  bad.push_back(with_vector({1, nan, 3}));
  bad.push_back(with_vector({inf, 2, 3}));
  bad.push_back(with_vector({1, 2, -inf}));
  {
    ItemUpdate u;
    u.popularity = std::numeric_limits<double>::quiet_NaN();
    bad.push_back(u);
    u.popularity = std::numeric_limits<double>::infinity();
    bad.push_back(u);
  }
  // Valid fields next to an invalid one must not be applied either.
  for (auto& u : bad) {
    u.terms = std::vector<std::string>{"x"};
    u.time = 99;
    u.features = std::vector<std::pair<std::string, std::string>>{{"z", "z"}};
    if (!u.popularity) u.popularity = 100;
  }
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_THROW(c.upsert("keep", bad[i]), reco::Error) << "update " << i;
    EXPECT_THROW(c.upsert("new", bad[i]), reco::Error) << "create " << i;
    ASSERT_EQ(snap(c, terms), before) << "after bad update " << i;
    EXPECT_FALSE(c.find("new").has_value());
  }
  // And the catalog is still fully usable afterwards.
  EXPECT_TRUE(c.upsert("new", with_vector({0, 0, 1})));
  EXPECT_EQ(c.size(), 2u);
}

TEST(Catalog, PopularOrder) {
  Catalog c("c", 1, Metric::InnerProduct);
  auto put = [&](std::string id, double pop, std::int64_t t) {
    ItemUpdate u;
    u.popularity = pop;
    u.time = t;
    c.upsert(id, u);
  };
  // Tied items are inserted in id order, so the expected order holds whether the final
  // tie-break is the id's bytes or its (insertion-ordered) dense id.
  put("c", 5, 100);
  put("a", 5, 200);
  put("d", 5, 100);
  put("b", 9, 0);
  put("e", -1, 999);
  put("f", 5, 100);
  EXPECT_EQ(ids_in(c, c.popular_order()),
            (std::vector<std::string>{"b", "a", "c", "d", "f", "e"}));
  expect_order_agrees_with_before(c);

  // Changes are reflected (the order is rebuilt lazily).
  put("e", 10, 0);
  c.erase("a");
  EXPECT_EQ(ids_in(c, c.popular_order()), (std::vector<std::string>{"e", "b", "c", "d", "f"}));
  ItemUpdate t;
  t.time = 101;
  c.upsert("f", t);
  EXPECT_EQ(ids_in(c, c.popular_order()), (std::vector<std::string>{"e", "b", "f", "c", "d"}));
  expect_order_agrees_with_before(c);
}

// Once built, the popular order and its per-term lists follow each write in place (no
// rebuild), and always equal the order sorted from scratch: popularity desc, time desc, id.
// Run as the server runs a catalog: no refresh on write, so a stale list shows.
TEST(Catalog, PopularOrderFollowsWritesInPlace) {
  Catalog c("c", 2, Metric::L2, reco::IndexConfig{reco::IndexKind::Flat});
  c.set_refresh_on_write(false);
  std::mt19937 rng(7);
  const std::vector<std::string> terms = {"t0", "t1", "t2", "t3", "t4"};
  // Few distinct popularities and times, so ties are common and the id decides.
  auto random_terms = [&] {
    std::vector<std::string> out;
    for (const auto& t : terms)
      if (rng() % 3 == 0) out.push_back(t);
    return out;
  };
  auto create = [&](int i) {
    ItemUpdate u;
    u.popularity = double(rng() % 12);
    u.time = std::int64_t(rng() % 6);
    u.terms = random_terms();
    c.upsert("i" + std::to_string(i), u);
  };
  int next_id = 0;
  for (; next_id < 1500; ++next_id) create(next_id);
  // Built from empty by moves: never stale, never sorted.
  ASSERT_TRUE(c.popular_postings_current());

  auto check = [&](const std::string& what) {
    std::vector<std::uint32_t> expect;
    for (std::uint32_t d = 0; d < c.id_bound(); ++d)
      if (c.live(d)) expect.push_back(d);
    std::sort(expect.begin(), expect.end(), [&](std::uint32_t a, std::uint32_t b) {
      const auto &x = c.item(a), &y = c.item(b);
      if (x.popularity != y.popularity) return x.popularity > y.popularity;
      if (x.time != y.time) return x.time > y.time;
      return a < b;
    });
    ASSERT_EQ(c.popular_order().to_vector(), expect) << what;
    expect_order_agrees_with_before(c);
    for (const auto& t : terms) {
      std::vector<std::uint32_t> with_t;
      for (std::uint32_t d : expect)
        for (const auto& it : c.item(d).terms)
          if (reco::view(it) == t) with_t.push_back(d);
      ASSERT_EQ(c.popular_postings(t).to_vector(), with_t) << what << " term " << t;
    }
  };

  int in_place = 0, terms_in_place = 0;
  for (int step = 0; step < 2000; ++step) {
    const std::string id = "i" + std::to_string(rng() % next_id);
    const int op = int(rng() % 10);
    std::string what;
    bool terms_change = false;
    if (op < 5) {  // popularity and/or time: the live case
      ItemUpdate u;
      if (rng() % 2) u.popularity = double(rng() % 12);
      else u.time = std::int64_t(rng() % 6);
      c.upsert(id, u);
      what = "update " + id;
    } else if (op < 7) {
      create(next_id);
      what = "create i" + std::to_string(next_id++);
    } else if (op < 9) {
      c.erase(id);
      what = "erase " + id;
    } else {
      ItemUpdate u;
      u.terms = random_terms();
      terms_change = c.upsert(id, u) == false;
      what = "terms " + id;
    }
    // Every move, terms changes included, stays in place: no write leaves the lists stale.
    if (c.popular_postings_current()) {
      ++in_place;
      if (terms_change) ++terms_in_place;
    } else {
      c.refresh_derived();
    }
    check(what);
  }
  EXPECT_EQ(in_place, 2000);
  EXPECT_GT(terms_in_place, 100);
  EXPECT_EQ(c.resorts(), 0u);
}

// The writes that shift a sorted array the most keep the order current: items that go
// first (a bulk load of new hits), POPULARITY + 1 among many equal popularities (each moves
// from its tie group's middle to its head), and deletes of the top items. No re-sort.
TEST(Catalog, PopularOrderStaysCurrentUnderTiesAndTopDeletes) {
  Catalog c("c", 2, Metric::L2, reco::IndexConfig{reco::IndexKind::Flat});
  c.set_refresh_on_write(false);
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    ItemUpdate u;
    u.popularity = 1;
    u.terms = std::vector<std::string>{i % 2 ? "odd" : "even"};
    c.upsert("a" + std::to_string(i), u);
  }
  ASSERT_TRUE(c.derived_current());
  std::mt19937 rng(5);
  std::vector<double> pop(n, 1);
  for (int w = 0; w < 3000; ++w) {
    ItemUpdate u;
    if (w % 3 == 0) {  // a new item more popular than everything
      u.popularity = 1000 + w;
      c.upsert("b" + std::to_string(w), u);
      ASSERT_EQ(reco::view(c.item(c.popular_order().front()).id), "b" + std::to_string(w));
    } else {  // + 1 on a random tied item
      const int i = int(rng() % n);
      u.popularity = ++pop[i];
      c.upsert("a" + std::to_string(i), u);
    }
    ASSERT_TRUE(c.derived_current()) << w;
  }
  for (int w = 2997; w >= 0; w -= 3) {  // deletes of the top, one at a time
    ASSERT_EQ(reco::view(c.item(c.popular_order().front()).id), "b" + std::to_string(w));
    ASSERT_TRUE(c.erase("b" + std::to_string(w)));
    ASSERT_TRUE(c.derived_current());
  }
  EXPECT_EQ(c.resorts(), 0u);
  expect_order_agrees_with_before(c);
  const auto& order = c.popular_order();
  EXPECT_EQ(order.size(), std::size_t(n));
  EXPECT_LE(order.blocks(), 2 * order.size() / reco::PopularList::kMinBlock + 1);
  std::size_t odd = 0;
  for (auto d : c.popular_postings("odd")) {
    EXPECT_EQ(std::stoi(std::string(reco::view(c.item(d).id)).substr(1)) % 2, 1);
    ++odd;
  }
  EXPECT_EQ(odd, std::size_t(n / 2));
}

TEST(Catalog, VersionBumpsOnEveryChange) {
  Catalog c("c", 2, Metric::L2);
  std::uint64_t last = c.version();
  auto bumped = [&] {
    bool b = c.version() > last;
    last = c.version();
    return b;
  };
  c.upsert("a", with_vector({1, 1}));
  EXPECT_TRUE(bumped());
  c.upsert("a", with_vector({1, 2}));
  EXPECT_TRUE(bumped());
  c.upsert("b", ItemUpdate{});
  EXPECT_TRUE(bumped());
  c.erase("b");
  EXPECT_TRUE(bumped());
  EXPECT_THROW(c.upsert("a", with_vector({1})), reco::Error);
  EXPECT_FALSE(bumped());
}

TEST(Catalog, MemoryGrowsAndShrinksWithItems) {
  Catalog c("c", 32, Metric::InnerProduct);
  std::size_t empty = c.memory_bytes();
  std::vector<float> v(32, 0.25f);
  for (int i = 0; i < 2000; ++i) {
    ItemUpdate u = with_vector(v);
    u.terms = std::vector<std::string>{"g" + std::to_string(i % 7)};
    c.upsert("item:" + std::to_string(i), u);
  }
  std::size_t full = c.memory_bytes();
  EXPECT_GE(full - empty, 2000u * 32 * 4);  // the vectors alone
  EXPECT_LE(full, 2000u * 2000u);           // and not absurdly more (1 KB an item here)
}

TEST(Catalog, ManyItemsStayConsistent) {
  Catalog c("c", 4, Metric::InnerProduct);
  std::map<std::string, float> ref;  // id -> first vector component
  std::mt19937 rng(5);
  for (int step = 0; step < 5000; ++step) {
    std::string id = "i" + std::to_string(rng() % 700);
    if (rng() % 4 == 0) {
      EXPECT_EQ(c.erase(id), ref.erase(id) == 1);
    } else {
      float x = float(rng() % 1000);
      EXPECT_EQ(c.upsert(id, with_vector({x, 0, 0, 0})), !ref.count(id));
      ref[id] = x;
    }
  }
  EXPECT_EQ(c.size(), ref.size());
  EXPECT_EQ(c.vectors().size(), ref.size());
  EXPECT_LE(c.id_bound(), 700u);
  std::size_t live = 0;
  for (std::uint32_t d = 0; d < c.id_bound(); ++d) {
    if (!c.live(d)) continue;
    ++live;
    std::string id(reco::view(c.item(d).id));
    ASSERT_TRUE(ref.count(id));
    EXPECT_EQ(*c.find(id), d);
    EXPECT_EQ(c.vector(d)[0], ref[id]);
  }
  EXPECT_EQ(live, ref.size());
  EXPECT_EQ(c.popular_order().size(), ref.size());
}

}  // namespace
