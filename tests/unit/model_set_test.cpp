// Model versions of a catalog: put/activate/rollback/remove policy, failed calls change
// nothing, the A/B split routes users stably (twice, and after save/load) in the asked
// proportion, item changes reach every version's rows, and save/load is exact and refuses
// broken payloads.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "model_fixture.hpp"
#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/model_set.hpp"

namespace {

using namespace reco_model_test;
using reco::ModelSet;

class ModelSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(1);
    for (int i = 0; i < 40; ++i) items.add(movielens_item(rng, i));
    items.live[7] = false;
    v1 = model_file(movielens_spec(8, false), 1);
    v2 = model_file(movielens_spec(8, true, {6}), 2);
    v3 = model_file(movielens_spec(4, false), 3);
  }
  std::string active_name() const { return set.active() ? std::string(set.active()->name()) : ""; }

  ItemList items;
  ModelSet set;
  std::string v1, v2, v3;
};

TEST_F(ModelSetTest, PutStoresWithoutActivatingAndIsIdempotent) {
  EXPECT_EQ(set.choose("u"), nullptr);
  EXPECT_TRUE(set.put("v1", v1, items));
  EXPECT_EQ(active_name(), "");  // stored, not serving
  EXPECT_EQ(set.choose("u"), nullptr);
  set.activate("v1");
  EXPECT_TRUE(set.put("v2", v2, items));
  EXPECT_EQ(active_name(), "v1");
  EXPECT_FALSE(set.put("v1", v1, items));  // same bytes again: nothing to do
  EXPECT_THROW(set.put("v1", v3, items), reco::Error);
  EXPECT_THROW(set.put("", v3, items), reco::Error);
  EXPECT_THROW(set.put("bad", v3.substr(0, v3.size() - 1), items), reco::Error);
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.find("bad"), nullptr);
  // Every live item got a row; the table's rows agree with the direct evaluation.
  const reco::ModelVersion* v = set.find("v2");
  ASSERT_NE(v, nullptr);
  EXPECT_GE(v->items().bound(), items.id_bound());
  auto us = v->model().prepare_user("12", nullptr, {});
  std::vector<std::uint32_t> ids = {0, 5, 39};
  std::vector<float> out(3);
  v->items().score(us, ids, out);
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const auto& it = items.items[ids[k]];
    EXPECT_NEAR(out[k], v->model().score_full("12", nullptr, {}, reco::view(it.id), it), 1e-5);
  }
}

TEST_F(ModelSetTest, TooManyVersionsIsRefused) {
  for (std::size_t i = 0; i < reco::kMaxModelVersions; ++i) set.put("v" + std::to_string(i), v3, items);
  EXPECT_THROW(set.put("one-more", v3, items), reco::Error);
  EXPECT_EQ(set.size(), reco::kMaxModelVersions);
}

TEST_F(ModelSetTest, ActivateRollbackHistory) {
  set.put("v1", v1, items);
  set.put("v2", v2, items);
  set.put("v3", v3, items);
  EXPECT_THROW(set.rollback(), reco::Error);
  set.activate("v1");
  EXPECT_THROW(set.rollback(), reco::Error);
  set.activate("v2");
  set.activate("v3");
  EXPECT_EQ(set.history(), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_THROW(set.activate("v9"), reco::Error);
  EXPECT_EQ(active_name(), "v3");
  EXPECT_EQ(set.rollback(), "v2");
  EXPECT_EQ(set.rollback(), "v1");
  EXPECT_EQ(active_name(), "v1");
  EXPECT_THROW(set.rollback(), reco::Error);
  EXPECT_EQ(active_name(), "v1");
}

TEST_F(ModelSetTest, RemovePolicy) {
  set.put("v1", v1, items);
  set.put("v2", v2, items);
  set.put("v3", v3, items);
  set.activate("v1");
  set.activate("v2");
  set.activate("v3");
  EXPECT_THROW(set.remove("v3"), reco::Error);  // active
  EXPECT_THROW(set.remove("nope"), reco::Error);
  set.remove("v2");  // leaves the history too
  EXPECT_EQ(set.history(), (std::vector<std::string>{"v1"}));
  set.put("v2", v2, items);
  set.split("v3", "v2", 30);
  EXPECT_THROW(set.remove("v2"), reco::Error);  // in the split
  set.remove("v3", true);                       // forced: the active one rolls back, the split ends
  EXPECT_EQ(active_name(), "v1");
  EXPECT_FALSE(set.current_split().has_value());
  set.remove("v1", true);
  EXPECT_EQ(set.active(), nullptr);
  EXPECT_EQ(set.choose("anyone"), nullptr);
  EXPECT_EQ(set.size(), 1u);
}

TEST_F(ModelSetTest, SplitRoutesStablyAndInProportion) {
  set.put("a", v1, items);
  set.put("b", v2, items);
  EXPECT_THROW(set.split("a", "zz", 50), reco::Error);
  EXPECT_THROW(set.split("a", "a", 50), reco::Error);
  EXPECT_THROW(set.split("a", "b", 101), reco::Error);
  EXPECT_THROW(set.split("a", "b", -1), reco::Error);
  set.split("a", "b", 50);
  std::vector<std::string> first;
  int to_b = 0;
  for (int u = 0; u < 10000; ++u) {
    const std::string key = "user:" + std::to_string(u);
    const reco::ModelVersion* v = set.choose(key);
    ASSERT_NE(v, nullptr);
    first.emplace_back(v->name());
    to_b += v->name() == "b";
    EXPECT_EQ(set.choose(key)->name(), v->name());
  }
  EXPECT_GE(to_b, 4800);
  EXPECT_LE(to_b, 5200);

  reco::BufferSink sink;
  set.save(sink);
  reco::BufferSource src(sink.bytes());
  auto loaded = ModelSet::load(src, reco::kModelSetEncoding, items);
  for (int u = 0; u < 10000; ++u)
    ASSERT_EQ(loaded->choose("user:" + std::to_string(u))->name(), first[u]) << u;

  // A different share moves only users across the boundary, in one direction.
  set.split("a", "b", 10);
  int moved_to_b = 0, now_b = 0;
  for (int u = 0; u < 10000; ++u) {
    const bool b = set.choose("user:" + std::to_string(u))->name() == "b";
    now_b += b;
    moved_to_b += b && first[u] == "a";
  }
  EXPECT_EQ(moved_to_b, 0);
  EXPECT_GE(now_b, 850);
  EXPECT_LE(now_b, 1150);
  set.activate("a");  // ends the split
  EXPECT_EQ(set.choose("user:1")->name(), "a");
}

TEST_F(ModelSetTest, CountersAndInfo) {
  set.put("v1", v1, items);
  set.put("v2", v2, items);
  set.activate("v1");
  set.split("v1", "v2", 25);
  std::vector<float> hundred(100, 0.25f);
  hundred[0] = 0.75f;
  set.choose("x")->record(hundred, reco::UserSide{});
  std::vector<std::uint32_t> ids(50);
  for (std::uint32_t k = 0; k < 50; ++k) ids[k] = k % 7 == 0 ? k / 7 : k % 40;
  std::vector<float> out(50);
  set.choose("x")->score("x", nullptr, {}, ids, out);
  const reco::ModelVersion* v = set.choose("x");
  EXPECT_NEAR(out[3], v->model().score_full("x", nullptr, {}, reco::view(items.items[ids[3]].id), items.items[ids[3]]),
              1e-5);
  std::vector<std::uint32_t> bad = {1000};
  EXPECT_THROW(v->score("x", nullptr, {}, bad, {out.data(), 1}), reco::Error);
  auto list = set.list();
  ASSERT_EQ(list.size(), 2u);
  const auto& chosen = list[0].name == set.choose("x")->name() ? list[0] : list[1];
  EXPECT_EQ(chosen.requests, 2u);
  EXPECT_EQ(chosen.candidates, 150u);
  // The window holds both requests' scores: the 100 above and the 50 scored.
  double sum = 0, sq = 0;
  for (float x : hundred) sum += x, sq += double(x) * x;
  for (float x : out) sum += x, sq += double(x) * x;
  const double mean = sum / 150, var = sq / 150 - mean * mean;
  EXPECT_EQ(chosen.recent.requests, 2u);
  EXPECT_EQ(chosen.recent.scores, 150u);
  EXPECT_NEAR(chosen.recent.mean, mean, 1e-9);
  EXPECT_NEAR(chosen.recent.stddev, std::sqrt(var), 1e-9);
  EXPECT_TRUE(list[0].active);
  EXPECT_EQ(list[0].split_buckets, 7500u);
  EXPECT_EQ(list[1].split_buckets, 2500u);
  EXPECT_TRUE(list[1].has_mlp);
  EXPECT_EQ(list[0].fields, 10u);
  EXPECT_GT(set.memory_bytes(), list[0].memory_bytes);
  EXPECT_GT(list[0].memory_bytes, std::size_t(items.id_bound()) * list[0].item_width * 4);
}

// The drift signals of a version's inputs: per user/context field, the share of the
// window's requests that gave it no value or only unknown values; per item field, the same
// over the catalog's items, kept by item writes.
TEST_F(ModelSetTest, FieldValueSharesOfRequestsAndItems) {
  set.put("v1", v1, items);
  const reco::ModelVersion* v = set.find("v1");
  ASSERT_NE(v, nullptr);
  auto share = [&](const std::string& field) {
    for (const auto& info : set.list())
      for (const auto& f : info.field_values)
        if (f.field == field) return std::make_pair(f.missing, f.unknown);
    ADD_FAILURE() << "no field " << field;
    return std::make_pair(-1.0, -1.0);
  };
  // Nothing served yet: every user and context share is 0; the items all have their values.
  EXPECT_EQ(share("gender"), std::make_pair(0.0, 0.0));
  EXPECT_EQ(share("year"), std::make_pair(0.0, 0.0));

  std::vector<std::uint32_t> ids = {0, 1, 2};
  std::vector<float> out(3);
  auto feature = [](const char* n, const char* x) {
    return reco::Feature{reco::to_string(n), reco::to_string(x)};
  };
  reco::UserProfile full;
  full.features = {feature("gender", "F"), feature("age", "18"), feature("occupation", "3"),
                   feature("clk", "0.5")};
  const std::vector<std::pair<std::string_view, std::string_view>> hour7 = {{"hour", "7"}}, hour99 = {{"hour", "99"}};
  v->score("12", &full, hour7, ids, out);  // every value known
  reco::UserProfile odd;
  odd.features = {feature("gender", "X"), feature("occupation", "3"), feature("clk", "abc")};
  v->score("zzz", &odd, {}, ids, out);  // unknown id, gender, clk; no age, no hour
  v->score("5", nullptr, hour99, ids, out);  // cold: no features; an hour out of the vocabulary
  const double third = 1.0 / 3;
  EXPECT_EQ(share("user_id"), std::make_pair(0.0, third));
  EXPECT_EQ(share("gender"), std::make_pair(third, third));
  EXPECT_EQ(share("age"), std::make_pair(2 * third, 0.0));
  EXPECT_EQ(share("occupation"), std::make_pair(third, 0.0));
  EXPECT_EQ(share("clk"), std::make_pair(third, third));
  EXPECT_EQ(share("hour"), std::make_pair(third, third));

  // Item fields: over the 39 live items. One loses its features and gets an unknown genre.
  reco::Item bare;
  bare.id = items.items[3].id;
  bare.terms = {reco::to_string("NotAGenre")};
  set.on_item(3, reco::view(bare.id), bare);
  EXPECT_EQ(share("year"), std::make_pair(1.0 / 39, 0.0));
  EXPECT_EQ(share("pop"), std::make_pair(1.0 / 39, 0.0));
  EXPECT_EQ(share("genres"), std::make_pair(0.0, 1.0 / 39));
  EXPECT_EQ(share("item_id"), std::make_pair(0.0, 0.0));
  set.on_item(3, reco::view(bare.id), items.items[3]);  // back as it was
  EXPECT_EQ(share("year"), std::make_pair(0.0, 0.0));
  set.on_item(3, reco::view(bare.id), bare);
  set.on_remove(3);  // a removed item counts no more
  EXPECT_EQ(share("year"), std::make_pair(0.0, 0.0));
  EXPECT_EQ(share("genres"), std::make_pair(0.0, 0.0));
}

TEST_F(ModelSetTest, ItemChangesReachEveryVersion) {
  set.put("v1", v1, items);
  set.put("v2", v2, items);
  std::mt19937_64 rng(9);
  reco::Item fresh = movielens_item(rng, 123);
  set.on_item(45, reco::view(fresh.id), fresh);
  set.on_remove(3);
  for (const char* name : {"v1", "v2"}) {
    const reco::ModelVersion* v = set.find(name);
    auto us = v->model().prepare_user("3", nullptr, {});
    std::uint32_t id = 45;
    float out = 0;
    v->items().score(us, {&id, 1}, {&out, 1});
    EXPECT_NEAR(out, v->model().score_full("3", nullptr, {}, reco::view(fresh.id), fresh), 1e-5) << name;
    EXPECT_EQ(v->items().row(3)[0], 0.0f);
  }
}

TEST_F(ModelSetTest, SaveLoadRoundTripAndIdempotentPutAfterLoad) {
  set.put("v1", v1, items);
  set.put("v2", v2, items);
  set.put("v3", v3, items);
  set.activate("v1");
  set.activate("v2");
  set.activate("v3");
  set.split("v3", "v1", 12.5);
  reco::BufferSink sink;
  set.save(sink);
  reco::BufferSource src(sink.bytes());
  auto loaded = ModelSet::load(src, reco::kModelSetEncoding, items);
  EXPECT_EQ(loaded->size(), 3u);
  EXPECT_EQ(loaded->active()->name(), "v3");
  EXPECT_EQ(loaded->history(), set.history());
  ASSERT_TRUE(loaded->current_split().has_value());
  EXPECT_EQ(loaded->current_split()->b_buckets, 1250u);
  EXPECT_FALSE(loaded->put("v2", v2, items));  // the same bytes are recognised after a restart
  EXPECT_THROW(loaded->put("v2", v1, items), reco::Error);
  // Scores are identical.
  std::vector<std::uint32_t> ids = {0, 1, 2, 30};
  std::vector<float> a(4), b(4);
  for (const char* name : {"v1", "v2", "v3"}) {
    auto ua = set.find(name)->model().prepare_user("9", nullptr, {});
    auto ub = loaded->find(name)->model().prepare_user("9", nullptr, {});
    set.find(name)->items().score(ua, ids, a);
    loaded->find(name)->items().score(ub, ids, b);
    EXPECT_EQ(a, b) << name;
  }
  EXPECT_EQ(loaded->history(), (std::vector<std::string>{"v1", "v2"}));
}

TEST_F(ModelSetTest, LoadRefusesBrokenPayloads) {
  ModelSpec other = small_spec();
  other.output = "logit";
  set.put("v1", model_file(small_spec(), 5), items);
  set.put("v3", model_file(other, 6), items);
  set.activate("v3");
  reco::BufferSink sink;
  set.save(sink);
  const std::string& bytes = sink.bytes();
  std::mt19937_64 rng(4);
  for (std::size_t n = 0; n < bytes.size(); n += 1 + rng() % 41) {
    reco::BufferSource src(std::string_view(bytes).substr(0, n));
    EXPECT_THROW(ModelSet::load(src, reco::kModelSetEncoding, items), reco::Error) << n;
  }
  reco::BufferSource wrong(bytes);
  EXPECT_THROW(ModelSet::load(wrong, 2, items), reco::Error);
  int refused = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::string b = bytes;
    b[rng() % b.size()] ^= static_cast<char>(1 + rng() % 255);
    reco::BufferSource src(b);
    try {
      ModelSet::load(src, reco::kModelSetEncoding, items);
    } catch (const reco::Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

}  // namespace

namespace {

// The adapter over a real catalog: every live item (not the erased ones) gets its row.
TEST(CatalogItems, FeedsLiveItemsToTheTables) {
  reco::Catalog cat("films", 4, reco::Metric::Cosine);
  for (int i = 1; i <= 30; ++i) {
    reco::ItemUpdate u;
    u.terms = std::vector<std::string>{i % 2 ? "Action" : "Comedy", "Drama"};
    u.features = std::vector<std::pair<std::string, std::string>>{{"year", std::to_string(1950 + i)}};
    cat.upsert(std::to_string(i), u);
  }
  cat.erase("5");
  reco::CatalogItems items(cat);
  EXPECT_EQ(items.id_bound(), cat.id_bound());
  std::size_t seen = 0;
  items.for_each_item([&](std::uint32_t dense, std::string_view id, const reco::Item& it) {
    ++seen;
    EXPECT_TRUE(cat.live(dense));
    EXPECT_EQ(id, reco::view(it.id));
  });
  EXPECT_EQ(seen, 29u);
  ModelSet set;
  set.put("v1", model_file(movielens_spec(8, true, {5}), 3), items);
  set.activate("v1");
  const reco::ModelVersion* v = set.active();
  ASSERT_NE(v, nullptr);
  const std::uint32_t d = *cat.find("17");
  std::vector<std::uint32_t> ids = {d};
  std::vector<float> out(1);
  v->score("42", nullptr, {}, ids, out);
  EXPECT_NEAR(out[0], v->model().score_full("42", nullptr, {}, "17", cat.item(d)), 1e-5);
  EXPECT_EQ(v->requests(), 1u);
  EXPECT_EQ(v->candidates(), 1u);
}

}  // namespace
