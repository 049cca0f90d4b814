// Persistence codecs: catalogs and user profiles survive a round trip exactly, and no byte
// string, however broken, makes a loader crash, hang or allocate without bound: it throws
// reco::Error or yields an object that is internally consistent. RESTORE hands these
// loaders attacker-controlled bytes, so the robustness half matters as much as the first.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/fingerprint.hpp"
#include "reco/recommender.hpp"
#include "reference.hpp"

namespace {

using reco::Catalog;
using reco::Metric;

std::unique_ptr<Catalog> sample_catalog(Metric m, std::uint32_t n, std::size_t dim,
                                        std::uint64_t seed) {
  auto c = std::make_unique<Catalog>("films", dim, m);
  std::mt19937_64 rng(seed);
  std::vector<float> first_vector;
  for (std::uint32_t i = 0; i < n; ++i) {
    reco::ItemUpdate u;
    auto v = reco_test::random_vector(rng, dim);
    if (i == 1) first_vector = v;
    if (i % 9 != 4) u.vector = v;
    if (i % 4 != 0) u.terms = std::vector<std::string>{"g" + std::to_string(i % 5), "all"};
    u.popularity = double(i % 7) + 0.25;
    u.time = 1600000000 + i;
    if (i % 3 == 0)
      u.features = std::vector<std::pair<std::string, std::string>>{
          {"year", std::to_string(1980 + i)}, {"lang", i % 2 ? "en" : "fr"}};
    std::string id = i == 5 ? std::string("bin\0ary\xff", 8) : "m" + std::to_string(i);
    c->upsert(id, u);
  }
  // Holes in the dense ids, one of them refilled by a duplicate of m1's vector, so that
  // ties in vector search depend on dense ids.
  c->erase("m2");
  c->erase("m7");
  c->erase("m11");
  reco::ItemUpdate dup;
  dup.vector = first_vector;
  c->upsert("late-duplicate", dup);
  return c;
}

std::string save(const Catalog& c) {
  reco::BufferSink s;
  reco::save_catalog(c, s);
  return s.bytes();
}

std::string save(const reco::UserProfile& u) {
  reco::BufferSink s;
  reco::save_user(u, s);
  return s.bytes();
}

std::unique_ptr<Catalog> load_catalog(std::string_view bytes) {
  reco::BufferSource src(bytes);
  return reco::load_catalog(src, reco::kCatalogEncoding);
}

std::unique_ptr<reco::UserProfile> load_user(std::string_view bytes) {
  reco::BufferSource src(bytes);
  return reco::load_user(src, reco::kUserEncoding);
}

std::string describe_item(const Catalog& c, std::uint32_t d) {
  const auto& it = c.item(d);
  std::string s = std::string(reco::view(it.id)) + "|" + std::to_string(it.popularity) + "|" +
                  std::to_string(it.time) + "|";
  for (auto& t : it.terms) s += std::string(reco::view(t)) + ",";
  s += "|";
  for (auto& f : it.features)
    s += std::string(reco::view(f.name)) + "=" + std::string(reco::view(f.value)) + ",";
  s += "|";
  auto v = c.vector(d);
  s += std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  return s;
}

void expect_same_catalog(const Catalog& a, const Catalog& b) {
  EXPECT_EQ(a.name(), b.name());
  EXPECT_EQ(a.dim(), b.dim());
  EXPECT_EQ(a.metric(), b.metric());
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.version(), b.version()) << "version must survive a reload (replicas compare it)";
  EXPECT_EQ(a.vectors().size(), b.vectors().size());
  EXPECT_EQ(a.terms().term_count(), b.terms().term_count());
  for (std::uint32_t d = 0; d < a.id_bound(); ++d) {
    if (!a.live(d)) continue;
    auto id = reco::view(a.item(d).id);
    auto bd = b.find(id);
    ASSERT_TRUE(bd.has_value()) << id;
    // Same dense id: vector ties break by dense id, so results after a reload (or on a
    // replica that loaded this payload) only match if the ids do.
    EXPECT_EQ(*bd, d) << id;
    EXPECT_EQ(describe_item(a, d), describe_item(b, *bd));
    EXPECT_EQ(b.fingerprints()[*bd], reco::fingerprint(id));
  }
  for (std::string t : {"g0", "g1", "g2", "g3", "g4", "all"}) {
    auto pa = a.terms().postings(t), pb = b.terms().postings(t);
    EXPECT_EQ(std::vector<std::uint32_t>(pa.begin(), pa.end()),
              std::vector<std::uint32_t>(pb.begin(), pb.end()))
        << t;
  }
  const auto &oa = a.popular_order(), &ob = b.popular_order();
  EXPECT_EQ(std::vector<std::uint32_t>(oa.begin(), oa.end()),
            std::vector<std::uint32_t>(ob.begin(), ob.end()));
}

class CatalogCodec : public ::testing::TestWithParam<Metric> {};

TEST_P(CatalogCodec, RoundTrip) {
  auto c = sample_catalog(GetParam(), 60, 6, 1);
  std::string bytes = save(*c);
  auto back = load_catalog(bytes);
  ASSERT_TRUE(back);
  expect_same_catalog(*c, *back);
  // Saving again gives the same bytes: nothing was lost or reordered.
  EXPECT_EQ(save(*back), bytes);

  // Queries agree exactly, including ties between duplicate vectors.
  std::mt19937_64 rng(2);
  for (int i = 0; i < 5; ++i) {
    auto q = reco_test::random_vector(rng, 6);
    auto x = reco::nearest(*c, q, 20, {}), y = reco::nearest(*back, q, 20, {});
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t j = 0; j < x.size(); ++j) {
      EXPECT_EQ(x[j].id, y[j].id);
      EXPECT_EQ(x[j].score, y[j].score);
    }
  }
  std::uint32_t m1 = *c->find("m1");
  auto sa = reco::similar(*c, m1, 3, {}), sb = reco::similar(*back, m1, 3, {});
  ASSERT_FALSE(sa.empty());
  EXPECT_EQ(sa[0].id, *c->find("late-duplicate"));
  ASSERT_EQ(sa.size(), sb.size());
  for (std::size_t j = 0; j < sa.size(); ++j) EXPECT_EQ(sa[j].id, sb[j].id);

  auto ra = reco::recommend(*c, nullptr, reco::RecommendRequest{});
  auto rb = reco::recommend(*back, nullptr, reco::RecommendRequest{});
  ASSERT_EQ(ra.items.size(), rb.items.size());
  for (std::size_t j = 0; j < ra.items.size(); ++j) EXPECT_EQ(ra.items[j].id, rb.items[j].id);

  // Later writes land identically on both (a replica keeps applying the master's stream
  // after loading its RDB): the free list survived too.
  reco::ItemUpdate u;
  u.popularity = 3;
  c->upsert("after-1", u);
  back->upsert("after-1", u);
  c->upsert("after-2", u);
  back->upsert("after-2", u);
  EXPECT_EQ(c->find("after-1"), back->find("after-1"));
  EXPECT_EQ(c->find("after-2"), back->find("after-2"));
  EXPECT_EQ(c->id_bound(), back->id_bound());
  EXPECT_EQ(c->version(), back->version());
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, CatalogCodec,
                         ::testing::Values(Metric::InnerProduct, Metric::Cosine, Metric::L2),
                         [](const auto& info) {
                           return std::string(reco::metric_name(info.param));
                         });

TEST(CatalogCodecEdge, EmptyCatalogRoundTrips) {
  Catalog c("", 1, Metric::L2);
  auto back = load_catalog(save(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name(), "");
  EXPECT_EQ(back->size(), 0u);
  EXPECT_EQ(back->dim(), 1u);
  EXPECT_EQ(back->metric(), Metric::L2);
}

TEST(CatalogCodecEdge, NewerEncodingIsRefused) {
  auto c = sample_catalog(Metric::InnerProduct, 5, 2, 3);
  std::string bytes = save(*c);
  reco::BufferSource src(bytes);
  EXPECT_THROW(reco::load_catalog(src, reco::kCatalogEncoding + 1), reco::Error);
}

reco::UserProfile sample_user() {
  reco::UserProfile u;
  u.vector.assign({0.5f, -1.25f, 3.0f, 0.0f, 7.5f, -0.125f});
  u.terms.push_back({reco::to_string("drama"), 3.5f});
  u.terms.push_back({reco::to_string(std::string_view("t\0x", 3)), 0.25f});
  u.terms.push_back({reco::to_string("a term long enough to leave small-string storage"), 1});
  std::vector<std::uint64_t> fps;
  for (int i = 0; i < 300; ++i) fps.push_back(reco::fingerprint("m" + std::to_string(i * 3)));
  u.seen.add(fps);
  u.features.push_back({reco::to_string("gender"), reco::to_string("F")});
  u.features.push_back({reco::to_string("age"), reco::to_string("25")});
  return u;
}

std::string describe_user(const reco::UserProfile& u) {
  std::string s(reinterpret_cast<const char*>(u.vector.data()), u.vector.size() * 4);
  s += "|";
  for (auto& t : u.terms) s += std::string(reco::view(t.term)) + "=" + std::to_string(t.weight) + ",";
  s += "|";
  for (auto& f : u.features)
    s += std::string(reco::view(f.name)) + "=" + std::string(reco::view(f.value)) + ",";
  s += "|";
  for (auto fp : u.seen.fingerprints()) s += std::to_string(fp) + ",";
  return s;
}

TEST(UserCodec, RoundTrip) {
  auto u = sample_user();
  std::string bytes = save(u);
  auto back = load_user(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(describe_user(*back), describe_user(u));
  EXPECT_EQ(back->seen.size(), 300u);
  EXPECT_TRUE(back->seen.contains(std::string_view("m3")));
  EXPECT_FALSE(back->seen.contains(std::string_view("m1")));
  EXPECT_EQ(save(*back), bytes);
}

TEST(UserCodec, EmptyUserRoundTrips) {
  reco::UserProfile u;
  auto back = load_user(save(u));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->vector.empty());
  EXPECT_TRUE(back->terms.empty());
  EXPECT_TRUE(back->seen.empty());
  EXPECT_TRUE(back->features.empty());
}

TEST(UserCodec, NewerEncodingIsRefused) {
  std::string bytes = save(sample_user());
  reco::BufferSource src(bytes);
  EXPECT_THROW(reco::load_user(src, reco::kUserEncoding + 1), reco::Error);
}

TEST(UserCodec, MemoryGrowsWithSeenSet) {
  reco::UserProfile u;
  std::size_t base = u.memory_bytes();
  std::vector<std::uint64_t> fps;
  for (int i = 0; i < 10000; ++i) fps.push_back(reco::fingerprint("s" + std::to_string(i)));
  u.seen.add(fps);
  EXPECT_GE(u.memory_bytes() - base, 10000u * 8);
  EXPECT_LE(u.memory_bytes(), 2u * 10000u * 8 + 1024);
}

// ---- Robustness: broken payloads -------------------------------------------------------

// A loaded catalog must be usable: consistent lookups, finite vectors of the right size,
// queries that run.
void check_usable(const Catalog& c) {
  ASSERT_GE(c.dim(), 1u);
  ASSERT_LE(c.dim(), reco::kMaxDim);
  std::size_t live = 0, with_vector = 0;
  for (std::uint32_t d = 0; d < c.id_bound(); ++d) {
    if (!c.live(d)) continue;
    ++live;
    auto id = reco::view(c.item(d).id);
    auto f = c.find(id);
    ASSERT_TRUE(f.has_value());
    ASSERT_EQ(*f, d);
    ASSERT_TRUE(std::isfinite(c.item(d).popularity));
    auto v = c.vector(d);
    if (!v.empty()) {
      ++with_vector;
      ASSERT_EQ(v.size(), c.dim());
      for (float x : v) ASSERT_TRUE(std::isfinite(x)) << "non-finite value loaded";
    }
  }
  ASSERT_EQ(live, c.size());
  ASSERT_EQ(with_vector, c.vectors().size());
  ASSERT_EQ(c.popular_order().size(), c.size());
  std::vector<float> q(c.dim(), 0.5f);
  auto hits = reco::nearest(c, q, 5, {});
  ASSERT_LE(hits.size(), 5u);
  for (auto& h : hits) ASSERT_TRUE(c.live(h.id));
  auto r = reco::recommend(c, nullptr, reco::RecommendRequest{});
  ASSERT_LE(r.items.size(), 10u);
}

void check_usable(const reco::UserProfile& u) {
  for (float x : u.vector) ASSERT_TRUE(std::isfinite(x)) << "non-finite vector value loaded";
  for (auto& t : u.terms) ASSERT_TRUE(std::isfinite(t.weight)) << "non-finite term weight";
  auto fps = u.seen.fingerprints();
  for (std::size_t i = 1; i < fps.size(); ++i) ASSERT_LT(fps[i - 1], fps[i]) << "seen-set unsorted";
  // And the profile works in a query.
  Catalog c("c", std::max<std::size_t>(1, u.vector.size()), Metric::InnerProduct);
  reco::ItemUpdate item;
  item.vector = std::vector<float>(c.dim(), 1.0f);
  c.upsert("x", item);
  auto r = reco::recommend(c, &u, reco::RecommendRequest{});
  ASSERT_LE(r.items.size(), 1u);
}

enum class Outcome { Loaded, Refused };

template <class Load, class Check>
Outcome try_load(const std::string& bytes, Load load, Check check, const std::string& what) {
  SCOPED_TRACE(what);
  try {
    auto obj = load(bytes);
    if (!obj) {
      ADD_FAILURE() << what << ": loader returned null instead of throwing";
      return Outcome::Refused;
    }
    check(*obj);
    return Outcome::Loaded;
  } catch (const reco::Error&) {
    return Outcome::Refused;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw " << typeid(e).name() << " (" << e.what()
                  << ") instead of reco::Error";
    return Outcome::Refused;
  }
}

template <class Load, class Check>
void fuzz_payload(const std::string& good, Load load, Check check) {
  // Every proper prefix. A prefix is incomplete by construction, so it must be refused.
  for (std::size_t len = 0; len < good.size(); ++len) {
    auto out = try_load(good.substr(0, len), load, check, "prefix " + std::to_string(len));
    EXPECT_EQ(out, Outcome::Refused) << "truncated payload of " << len << "/" << good.size()
                                     << " bytes was accepted";
    if (::testing::Test::HasFailure()) return;
  }
  // Trailing garbage.
  try_load(good + std::string("\x01\x02\x03", 3), load, check, "suffix");
  // Every byte set to 0x00, 0xff and with its top bit flipped: hits every length and count
  // field with both "huge" and "zero".
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    for (int mode = 0; mode < 3; ++mode) {
      std::string b = good;
      b[pos] = mode == 0 ? '\0' : mode == 1 ? '\xff' : char(b[pos] ^ 0x80);
      if (b == good) continue;
      try_load(b, load, check, "byte " + std::to_string(pos) + " mode " + std::to_string(mode));
      if (::testing::Test::HasFailure()) return;
    }
  }
  // Random multi-byte corruption.
  std::mt19937_64 rng(77);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string b = good;
    int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] ^= char(1 + rng() % 255);
    try_load(b, load, check, "random trial " + std::to_string(trial));
    if (::testing::Test::HasFailure()) return;
  }
  // Pure noise of assorted lengths.
  for (int trial = 0; trial < 300; ++trial) {
    std::string b(rng() % 200, '\0');
    for (auto& ch : b) ch = char(rng());
    try_load(b, load, check, "noise " + std::to_string(trial));
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(CodecRobustness, CatalogPayloads) {
  auto c = sample_catalog(Metric::Cosine, 12, 3, 9);
  std::string good = save(*c);
  ASSERT_LT(good.size(), 4000u);  // keeps the exhaustive loops quick
  fuzz_payload(
      good, [](const std::string& b) { return load_catalog(b); },
      [](const Catalog& x) { check_usable(x); });
}

TEST(CodecRobustness, CatalogPayloadsL2) {
  auto c = sample_catalog(Metric::L2, 8, 2, 10);
  fuzz_payload(
      save(*c), [](const std::string& b) { return load_catalog(b); },
      [](const Catalog& x) { check_usable(x); });
}

TEST(CodecRobustness, UserPayloads) {
  auto u = sample_user();
  // A smaller seen-set keeps the byte-by-byte loop short.
  std::vector<std::uint64_t> few{reco::fingerprint("a"), reco::fingerprint("b"),
                                 reco::fingerprint("c")};
  u.seen.assign(few);
  std::string good = save(u);
  fuzz_payload(
      good, [](const std::string& b) { return load_user(b); },
      [](const reco::UserProfile& x) { check_usable(x); });
}

}  // namespace
