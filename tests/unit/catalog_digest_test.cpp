// The catalog digest (reco/catalog_digest.hpp): equal for equal contents whatever the write
// order and however often an item is re-sent; different when any served field, setting or
// model differs; kept by every write (equal to a digest recomputed from scratch); the same
// after an RDB round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "model_fixture.hpp"
#include "reco/catalog.hpp"
#include "reco/catalog_digest.hpp"
#include "reco/codec.hpp"
#include "reco/model_items.hpp"
#include "reco/model_set.hpp"

namespace {

using reco::Catalog;
using reco::Digest128;
using reco::ItemUpdate;

struct Row {
  std::string id;
  ItemUpdate update;
};

std::vector<Row> rows(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<Row> out;
  for (std::size_t i = 0; i < n; ++i) {
    Row r{"item-" + std::to_string(i), {}};
    std::vector<float> v(8);
    for (float& x : v) x = g(rng);
    r.update.vector = v;
    r.update.terms = std::vector<std::string>{"g" + std::to_string(i % 5), "g" + std::to_string(i % 3)};
    r.update.popularity = double(i % 17);
    r.update.time = 1000 + std::int64_t(i);
    r.update.features = std::vector<std::pair<std::string, std::string>>{{"year", std::to_string(1990 + i % 30)},
                                                                        {"lang", i % 2 ? "en" : "fr"}};
    out.push_back(std::move(r));
  }
  return out;
}

std::unique_ptr<Catalog> make(const std::vector<Row>& data, reco::IndexKind kind = reco::IndexKind::Flat) {
  reco::IndexConfig ix;
  ix.kind = kind;
  auto c = std::make_unique<Catalog>("c", 8, reco::Metric::InnerProduct, ix);
  for (const Row& r : data) c->upsert(r.id, r.update);
  return c;
}

// The items' part computed from scratch, as a check of what the writes kept.
Digest128 recomputed_items(const Catalog& c) {
  Digest128 d;
  for (std::uint32_t i = 0; i < c.id_bound(); ++i)
    if (c.live(i)) d.add(reco::item_digest(c.item(i), c.vector(i)));
  return d;
}

TEST(CatalogDigest, IndependentOfWriteOrderAndResends) {
  auto data = rows(300, 1);
  auto a = make(data);
  std::reverse(data.begin(), data.end());
  auto b = make(data);
  EXPECT_EQ(reco::catalog_digest(*a), reco::catalog_digest(*b));
  // Re-sending items (whole or in part) with the values they hold changes nothing.
  for (std::size_t i = 0; i < 50; ++i) b->upsert(data[i].id, data[i].update);
  ItemUpdate same_pop;
  same_pop.popularity = *data[3].update.popularity;
  b->upsert(data[3].id, same_pop);
  EXPECT_EQ(reco::catalog_digest(*a), reco::catalog_digest(*b));
  EXPECT_NE(a->version(), b->version());  // the counter saw the re-sends
  // Terms and features are sets: their order does not count.
  ItemUpdate shuffled;
  shuffled.terms = std::vector<std::string>{(*data[5].update.terms)[1], (*data[5].update.terms)[0]};
  auto f = *data[5].update.features;
  std::reverse(f.begin(), f.end());
  shuffled.features = f;
  b->upsert(data[5].id, shuffled);
  EXPECT_EQ(reco::catalog_digest(*a), reco::catalog_digest(*b));
  EXPECT_EQ(b->items_digest(), recomputed_items(*b));
}

TEST(CatalogDigest, EveryServedFieldCounts) {
  const auto data = rows(50, 2);
  auto base = make(data);
  const Digest128 d0 = reco::catalog_digest(*base);
  auto changed = [&](const ItemUpdate& u, const std::string& id) {
    auto c = make(data);
    c->upsert(id, u);
    EXPECT_EQ(c->items_digest(), recomputed_items(*c));
    return reco::catalog_digest(*c) != d0;
  };
  ItemUpdate u;
  u.popularity = 99.5;
  EXPECT_TRUE(changed(u, "item-1"));
  u = {};
  u.time = 5;
  EXPECT_TRUE(changed(u, "item-1"));
  u = {};
  u.terms = std::vector<std::string>{"g0"};
  EXPECT_TRUE(changed(u, "item-1"));
  u = {};
  u.features = std::vector<std::pair<std::string, std::string>>{{"year", "1800"}};
  EXPECT_TRUE(changed(u, "item-1"));
  u = {};
  std::vector<float> v = *data[1].update.vector;
  v[7] = std::nextafter(v[7], 100.0f);  // one ulp
  u.vector = v;
  EXPECT_TRUE(changed(u, "item-1"));
  EXPECT_TRUE(changed(ItemUpdate{}, "new-item"));  // an item with defaults only
  // An item deleted and written again with the same values: back to the same digest.
  auto c = make(data);
  c->erase("item-4");
  EXPECT_NE(reco::catalog_digest(*c), d0);
  EXPECT_EQ(c->items_digest(), recomputed_items(*c));
  c->upsert("item-4", data[4].update);
  EXPECT_EQ(reco::catalog_digest(*c), d0);
}

TEST(CatalogDigest, SettingsBlendAndModelsCount) {
  const auto data = rows(40, 3);
  auto a = make(data);
  auto b = make(data);
  const Digest128 d0 = reco::catalog_digest(*a);
  // The name does not count.
  auto renamed = std::make_unique<Catalog>("other", 8, reco::Metric::InnerProduct, a->index_config());
  for (const Row& r : data) renamed->upsert(r.id, r.update);
  EXPECT_EQ(reco::catalog_digest(*renamed), d0);
  // Another index kind or metric does.
  EXPECT_NE(reco::catalog_digest(*make(data, reco::IndexKind::Auto)), d0);
  // The bias dimension (item-to-item scoring): set, then cleared.
  b->set_bias_dim(7);
  EXPECT_NE(reco::catalog_digest(*b), d0);
  b->set_bias_dim(std::nullopt);
  EXPECT_EQ(reco::catalog_digest(*b), d0);
  // Blend: changed, then set back.
  reco::BlendConfig blend = b->blend();
  ASSERT_TRUE(reco::set_blend_param(blend, "WEIGHT.TERM", 0.25));
  b->set_blend(blend);
  EXPECT_NE(reco::catalog_digest(*b), d0);
  b->set_blend(a->blend());
  EXPECT_EQ(reco::catalog_digest(*b), d0);
  b->set_query_settings(77, b->index_config().exact_below);
  EXPECT_NE(reco::catalog_digest(*b), d0);
  b->set_query_settings(a->index_config().ef_runtime, a->index_config().exact_below);
  EXPECT_EQ(reco::catalog_digest(*b), d0);
  // Models: a version on one side only, then on both, then activated on one only.
  const std::string v1 = reco_model_test::model_file(reco_model_test::movielens_spec(4, false), 1);
  const std::string v2 = reco_model_test::model_file(reco_model_test::movielens_spec(4, false), 2);
  reco::CatalogItems items_a(*a), items_b(*b);
  ASSERT_TRUE(a->models().put("v1", v1, items_a));
  EXPECT_NE(reco::catalog_digest(*a), reco::catalog_digest(*b));
  ASSERT_TRUE(b->models().put("v1", v1, items_b));
  EXPECT_EQ(reco::catalog_digest(*a), reco::catalog_digest(*b));
  a->models().activate("v1");
  EXPECT_NE(reco::catalog_digest(*a), reco::catalog_digest(*b));
  b->models().activate("v1");
  EXPECT_EQ(reco::catalog_digest(*a), reco::catalog_digest(*b));
  // Versions put in another order, same files: equal; another file under a name: not.
  ASSERT_TRUE(a->models().put("v2", v2, items_a));
  auto c = make(data);
  reco::CatalogItems items_c(*c);
  ASSERT_TRUE(c->models().put("v2", v2, items_c));
  ASSERT_TRUE(c->models().put("v1", v1, items_c));
  c->models().activate("v1");
  EXPECT_EQ(reco::catalog_digest(*a), reco::catalog_digest(*c));
  ASSERT_TRUE(b->models().put("v2", v1, items_b));
  EXPECT_NE(reco::catalog_digest(*a), reco::catalog_digest(*b));
  // A split counts.
  c->models().split("v1", "v2", 10);
  EXPECT_NE(reco::catalog_digest(*a), reco::catalog_digest(*c));
}

TEST(CatalogDigest, SurvivesAnRdbRoundTripAndGraphsInAnyOrder) {
  auto data = rows(500, 4);
  auto a = make(data, reco::IndexKind::Hnsw);
  a->erase("item-10");
  reco::BufferSink sink;
  reco::save_catalog(*a, sink);
  reco::BufferSource src(sink.bytes());
  auto back = reco::load_catalog(src, reco::kCatalogEncoding);
  EXPECT_EQ(reco::catalog_digest(*back), reco::catalog_digest(*a));
  EXPECT_EQ(back->items_digest(), recomputed_items(*back));
  std::reverse(data.begin(), data.end());
  auto b = make(data, reco::IndexKind::Hnsw);
  b->erase("item-10");
  EXPECT_EQ(reco::catalog_digest(*b), reco::catalog_digest(*a));
}

TEST(CatalogDigest, HexIsThirtyTwoDigitsHighHalfFirst) {
  EXPECT_EQ((Digest128{0x1, 0xabc}).hex(), "0000000000000abc0000000000000001");
  EXPECT_EQ((Digest128{}).hex(), std::string(32, '0'));
}

}  // namespace
