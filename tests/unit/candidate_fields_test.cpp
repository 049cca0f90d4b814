// Candidate fields (reco/candidate_fields.hpp): the schema accepts them only in their
// documented shape; the batch loop scores them exactly like the direct evaluation; and the
// signals recommend() computes per candidate equal what the test computes itself from the
// catalog (ranks from single-source requests, scores from the vectors and terms), with the
// missing ones missing. A model reading blend.score alone serves the blend's order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "model_fixture.hpp"
#include "reco/catalog.hpp"
#include "reco/fingerprint.hpp"
#include "reco/item_similarity.hpp"
#include "reco/recommender.hpp"

namespace {

using namespace reco_model_test;
using reco::CandidateSignals;
using reco::CandidateValue;
using reco::Model;
using reco::Source;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string parse_error(const std::string& bytes) {
  try {
    Model::parse(bytes);
    return "(accepted)";
  } catch (const reco::Error& e) {
    return e.what();
  }
}

// The MovieLens-shaped spec with three candidate fields: two by value into the MLP, one
// linear only.
ModelSpec spec_with_candidates(bool mlp, std::vector<int> layers = {6, 4}) {
  ModelSpec m = movielens_spec(8, mlp, layers);
  m.fields.push_back({"vr", "candidate", "dense", "candidate:vector.rank", {}, "", 0.3, 0.2, ""});
  m.fields.push_back({"blend", "candidate", "dense", "candidate:blend.score", {}, "", 1.0, 0.5, ""});
  m.fields.push_back({"user.popularity", "candidate", "dense", "", {}, "", 3.0, 1.0, ""});  // default source
  if (mlp) {
    m.mlp_inputs.push_back({"vr", "value"});
    m.mlp_inputs.push_back({"user.popularity", "value"});
  }
  return m;
}

TEST(CandidateFields, NamesRoundTrip) {
  for (std::size_t v = 0; v < reco::kCandidateValueCount; ++v) {
    const auto which = static_cast<CandidateValue>(v);
    EXPECT_EQ(reco::parse_candidate_value(reco::candidate_value_name(which)), which);
  }
  EXPECT_FALSE(reco::parse_candidate_value("vector.Rank"));
  EXPECT_FALSE(reco::parse_candidate_value(""));
}

TEST(CandidateFields, SchemaAcceptsTheDocumentedShapeOnly) {
  const ModelSpec ok = spec_with_candidates(true);
  EXPECT_EQ(parse_error(model_file(ok, 5)), "(accepted)");
  const auto model = Model::parse(model_file(ok, 5));
  ASSERT_EQ(model->candidate_count(), 3u);
  EXPECT_EQ(model->candidate_value(0), CandidateValue::VectorRank);
  EXPECT_EQ(model->candidate_value(1), CandidateValue::BlendScore);
  EXPECT_EQ(model->candidate_value(2), CandidateValue::UserPopularity);

  auto refused = [&](auto edit, const std::string& fragment) {
    ModelSpec m = spec_with_candidates(true);
    edit(m);
    const std::string msg = parse_error(model_file(m, 5));
    EXPECT_NE(msg.find(fragment), std::string::npos) << "message: " << msg;
  };
  refused([](ModelSpec& m) { m.fields.back().source = "candidate:vector.ranks"; }, "unknown candidate value \"vector.ranks\"");
  refused([](ModelSpec& m) { m.fields.back().name = "x"; }, "unknown candidate value \"x\"");  // default source
  refused([](ModelSpec& m) { m.fields.back().source = "feature:x"; }, "its source must be candidate:<value>");
  refused([](ModelSpec& m) {
    m.fields.back().kind = "categorical";
    m.fields.back().vocab = {"a"};
  }, "is a candidate field: it must be dense");
  refused([](ModelSpec& m) { m.fields.back().group = "fm"; }, "takes no group");
  refused([](ModelSpec& m) { m.mlp_inputs.back().second = "embedding"; }, "candidate fields enter by value");
  refused([](ModelSpec& m) { m.fields[6].source = "candidate:age"; }, "needs side \"candidate\"");  // year, item side
  refused([](ModelSpec& m) { m.fields.back().side = "request"; }, "unknown side \"request\"");
}

// Random candidate values, a share missing (NaN), for n candidates of C fields.
std::vector<float> random_values(std::mt19937_64& rng, std::size_t n, std::size_t C) {
  std::normal_distribution<float> nd(0.0f, 2.0f);
  std::vector<float> v(n * C);
  for (float& x : v) x = rng() % 5 == 0 ? kNaN : nd(rng);
  return v;
}

void check_batch_matches_direct(const ModelSpec& spec, std::uint64_t seed) {
  const auto model = Model::parse(model_file(spec, seed, 0.3f));
  std::mt19937_64 rng(seed);
  ItemList list;
  for (int i = 0; i < 200; ++i) list.add(movielens_item(rng, static_cast<std::uint32_t>(1 + i)));
  reco::ItemTable table(model);
  table.build(list);
  std::vector<std::uint32_t> ids;
  for (int k = 0; k < 150; ++k) ids.push_back(static_cast<std::uint32_t>(rng() % list.items.size()));
  const std::size_t C = model->candidate_count();
  double worst = 0, worst_none = 0;
  std::size_t checked = 0;
  for (int u = 0; u < 20; ++u) {
    reco::UserProfile user = movielens_user(rng);
    const std::string key = std::to_string(1 + rng() % 6040);
    const reco::UserSide side = model->prepare_user(key, &user, {});
    const std::vector<float> values = random_values(rng, ids.size(), C);
    std::vector<float> out(ids.size()), none(ids.size());
    table.score(side, ids, out, values.data());
    table.score(side, ids, none);  // no values: every candidate field missing
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const reco::Item& it = list.items[ids[k]];
      const float full = model->score_full(key, &user, {}, reco::view(it.id), it,
                                           std::span<const float>(values.data() + k * C, C));
      const float full_none = model->score_full(key, &user, {}, reco::view(it.id), it);
      worst = std::max(worst, std::abs(double(full) - out[k]));
      worst_none = std::max(worst_none, std::abs(double(full_none) - none[k]));
      ++checked;
    }
  }
  EXPECT_GE(checked, 3000u);
  EXPECT_LT(worst, 1e-5);
  EXPECT_LT(worst_none, 1e-5);
}

TEST(CandidateFields, BatchScoresLikeTheDirectEvaluation) {
  check_batch_matches_direct(spec_with_candidates(false), 41);    // linear only
  check_batch_matches_direct(spec_with_candidates(true), 42);     // MLP with hidden layers
  check_batch_matches_direct(spec_with_candidates(true, {}), 43);  // MLP output layer only
  ModelSpec logit = spec_with_candidates(true, {7, 5, 3});
  logit.output = "logit";
  check_batch_matches_direct(logit, 44);
}

TEST(CandidateFields, MissingValuesAreTheMean) {
  // A model of one candidate field: sigmoid(bias + w * (raw - mean) / std); missing = mean.
  ModelSpec m;
  m.fields = {{"b", "candidate", "dense", "candidate:blend.score", {}, "", 2.0, 4.0, ""}};
  m.output = "logit";
  reco::TensorFile tf = random_weights(m, 1);
  for (auto& t : tf.tensors) t.data.assign(t.data.size(), t.name == "bias" ? 0.5f : 3.0f);
  const auto model = Model::parse(reco::write_safetensors(tf));
  reco::Item it;
  const float raw[] = {10.0f};
  const float nan[] = {kNaN};
  EXPECT_NEAR(model->score_full("", nullptr, {}, "x", it, raw), 0.5 + 3.0 * (10 - 2) / 4, 1e-6);
  EXPECT_NEAR(model->score_full("", nullptr, {}, "x", it, nan), 0.5, 1e-6);
  EXPECT_NEAR(model->score_full("", nullptr, {}, "x", it), 0.5, 1e-6);
  EXPECT_THROW(model->score_full("", nullptr, {}, "x", it, std::vector<float>{1, 2}), reco::Error);
}

// A catalog where every source has something to say, and a user who uses all of them.
struct World {
  reco::Catalog catalog{"c", 6, reco::Metric::InnerProduct};
  reco::UserProfile user;
  std::vector<std::uint32_t> session;

  World() {
    std::mt19937_64 rng(9);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (int i = 0; i < 400; ++i) {
      reco::ItemUpdate u;
      if (i % 31 != 5) {
        std::vector<float> v(6);
        for (float& x : v) x = nd(rng);
        u.vector = v;
      }
      u.terms = std::vector<std::string>{"g" + std::to_string(i % 7), "h" + std::to_string(i % 3)};
      u.popularity = double((i * 53) % 97);
      u.time = 1'000'000 + 3600 * (i % 50);
      catalog.upsert("i" + std::to_string(i), u);
    }
    user.vector = {0.5f, -1.0f, 0.2f, 0.0f, 1.5f, -0.3f};
    user.terms.push_back({reco::to_string("g2"), 0.75f});
    user.terms.push_back({reco::to_string("h1"), 0.5f});
    user.terms.push_back({reco::to_string("g4"), -1.0f});  // recalls nothing, scores nothing
    std::vector<std::uint64_t> seen;
    for (int i = 0; i < 40; i += 3) seen.push_back(reco::fingerprint("i" + std::to_string(i)));
    seen.push_back(reco::fingerprint("not in the catalog"));
    user.seen.assign(seen);
    session = {*catalog.find("i100"), *catalog.find("i201")};
  }
  reco::RecommendRequest request(std::size_t k = 20) const {
    reco::RecommendRequest r;
    r.k = k;
    r.use_blend(catalog.blend());
    r.k = reco::kMaxK;  // every candidate back; the popular budget stays K
    r.session = session;
    r.with_signals = true;
    return r;
  }
};

// Positions of each item in a request restricted to source `s`.
std::map<std::uint32_t, std::size_t> positions(const World& w, Source s) {
  reco::RecommendRequest r = w.request();
  for (std::size_t i = 0; i < reco::kSourceCount; ++i)
    if (static_cast<Source>(i) != s) r.sources[i].budget = 0;
  r.with_signals = false;
  std::map<std::uint32_t, std::size_t> out;
  // Alone, a source's blend score is weight * (1 - rank / budget): its own order.
  const reco::RecommendResult res = reco::recommend(w.catalog, &w.user, r);
  for (std::size_t p = 0; p < res.items.size(); ++p) out[res.items[p].id] = p;
  return out;
}

TEST(CandidateFields, RecommendSignalsMatchTheCatalog) {
  World w;
  const reco::RecommendRequest req = w.request();
  const reco::RecommendResult res = reco::recommend(w.catalog, &w.user, req);
  ASSERT_EQ(res.signals.size(), res.items.size());
  ASSERT_GT(res.items.size(), 300u);

  std::array<std::map<std::uint32_t, std::size_t>, reco::kSourceCount> pos;
  for (std::size_t s = 0; s < reco::kSourceCount; ++s) pos[s] = positions(w, static_cast<Source>(s));
  std::vector<float> q(6, 0.0f);  // the session query: the mean of the session's vectors
  for (std::uint32_t d : w.session) {
    const auto v = w.catalog.vector(d);
    for (std::size_t k = 0; k < 6; ++k) q[k] += v[k] / 2;
  }
  double seen_pop = 0;
  int seen_n = 0;
  for (int i = 0; i < 40; i += 3) {
    seen_pop += std::log1p(w.catalog.item(*w.catalog.find("i" + std::to_string(i))).popularity);
    ++seen_n;
  }
  std::int64_t newest = 0;
  for (const auto& r : res.items) newest = std::max(newest, w.catalog.item(r.id).time);

  std::size_t without_vector = 0, not_by_term = 0;
  for (std::size_t i = 0; i < res.items.size(); ++i) {
    const std::uint32_t d = res.items[i].id;
    const CandidateSignals& sg = res.signals[i];
    const reco::Item& it = w.catalog.item(d);
    for (std::size_t s = 0; s < reco::kSourceCount; ++s) {
      const auto p = pos[s].find(d);
      const double budget = double(req.sources[s].budget);
      const float want = p == pos[s].end() ? 1.0f : static_cast<float>(double(p->second) / budget);
      EXPECT_EQ(sg.rank[s], want) << "item " << d << " source " << s;
      EXPECT_EQ(((res.items[i].sources >> s) & 1u) != 0, p != pos[s].end());
    }
    not_by_term += pos[1].count(d) == 0;
    const auto v = w.catalog.vector(d);
    if (v.empty()) {
      ++without_vector;
      EXPECT_TRUE(std::isnan(sg.value(CandidateValue::VectorScore)));
      EXPECT_TRUE(std::isnan(sg.value(CandidateValue::SessionScore)));
    } else {
      double dot = 0;
      for (std::size_t k = 0; k < 6; ++k) dot += double(w.user.vector[k]) * v[k];
      EXPECT_NEAR(sg.value(CandidateValue::VectorScore), dot, 1e-5);
      EXPECT_NEAR(sg.value(CandidateValue::SessionScore), reco::item_score(w.catalog, q, v), 1e-5);
    }
    float terms = 0;
    for (const auto& t : it.terms) terms += (t == "g2") ? 0.75f : (t == "h1") ? 0.5f : 0.0f;
    EXPECT_EQ(sg.value(CandidateValue::TermScore), terms) << "item " << d;
    EXPECT_FLOAT_EQ(sg.value(CandidateValue::BlendScore), static_cast<float>(res.items[i].score));
    EXPECT_FLOAT_EQ(sg.value(CandidateValue::Popularity), static_cast<float>(std::log1p(it.popularity)));
    EXPECT_FLOAT_EQ(sg.value(CandidateValue::Age), static_cast<float>(double(newest - it.time) / 86400));
    EXPECT_FLOAT_EQ(sg.value(CandidateValue::UserPopularity), static_cast<float>(seen_pop / seen_n));
    EXPECT_FLOAT_EQ(sg.value(CandidateValue::UserSeen), static_cast<float>(std::log1p(double(seen_n))));
  }
  EXPECT_GT(without_vector, 0u);  // items only the term or popular source recalled
  EXPECT_GT(not_by_term, 100u);   // term scores for items the term source did not recall

  // A cold request: no vector, no terms, no session, no seen-set.
  reco::RecommendRequest cold = w.request();
  cold.session.clear();
  const reco::RecommendResult c = reco::recommend(w.catalog, nullptr, cold);
  ASSERT_FALSE(c.items.empty());
  for (const CandidateSignals& sg : c.signals) {
    for (auto v : {CandidateValue::VectorScore, CandidateValue::TermScore, CandidateValue::SessionScore,
                   CandidateValue::UserPopularity})
      EXPECT_TRUE(std::isnan(sg.value(v)));
    EXPECT_EQ(sg.value(CandidateValue::VectorRank), 1.0f);
    EXPECT_EQ(sg.value(CandidateValue::UserSeen), 0.0f);
    EXPECT_LT(sg.value(CandidateValue::PopularRank), 1.0f);
  }
}

TEST(CandidateFields, AModelOfTheBlendScoreServesTheBlendOrder) {
  World w;
  ModelSpec m;
  m.fields = {{"b", "candidate", "dense", "candidate:blend.score", {}, "", 1.0, 0.5, ""}};
  m.output = "logit";
  reco::TensorFile tf = random_weights(m, 1);
  for (auto& t : tf.tensors) t.data.assign(t.data.size(), t.name == "bias" ? 0.0f : 1.0f);
  reco::CatalogItems items(w.catalog);
  w.catalog.models().put("b", reco::write_safetensors(tf), items);

  reco::RecommendRequest blend = w.request(30);
  blend.k = 30;
  reco::RecommendRequest ranked = blend;
  ranked.model = w.catalog.models().find("b");
  ranked.with_signals = false;  // the model's own need for signals, not the caller's
  const auto a = reco::recommend(w.catalog, &w.user, blend);
  const auto b = reco::recommend(w.catalog, &w.user, ranked);
  ASSERT_EQ(a.items.size(), 30u);
  ASSERT_EQ(b.items.size(), 30u);
  for (std::size_t i = 0; i < 30; ++i) {
    EXPECT_EQ(a.items[i].id, b.items[i].id) << i;
    EXPECT_NEAR(b.items[i].score, (a.items[i].score - 1.0) / 0.5, 1e-5);
  }
}

}  // namespace
