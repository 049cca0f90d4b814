// Ranking models: the score matches a hand computation of the contract's formula, the
// precomputed split (prepare_item / prepare_user / score) matches the direct evaluation
// on thousands of random rows with every kind of missing or unknown value, and every
// malformed model file is refused with a message that names what is wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "model_fixture.hpp"
#include "reco/error.hpp"
#include "reco/model.hpp"
#include "reco/model_items.hpp"
#include "reco/safetensors.hpp"

namespace {

using namespace reco_model_test;
using reco::Item;
using reco::Model;
using reco::TensorFile;
using reco::UserProfile;
using Ctx = std::vector<std::pair<std::string_view, std::string_view>>;

reco::Feature feat(const std::string& n, const std::string& v) { return {reco::to_string(n), reco::to_string(v)}; }

void set_tensor(TensorFile& tf, const std::string& name, std::vector<float> values) {
  for (auto& t : tf.tensors)
    if (t.name == name) {
      ASSERT_EQ(t.data.size(), values.size()) << name;
      t.data.assign(values.begin(), values.end());
      return;
    }
  FAIL() << "no tensor " << name;
}

// Two user fields and two item fields in one group of dim 2, a logit output, weights set by hand.
TEST(Model, MatchesHandComputedFormula) {
  ModelSpec m;
  m.output = "logit";
  m.groups = {{"g", 2}};
  m.fields = {{"u", "user", "categorical", "", {"a", "b"}, "", 0, 1, "g"},
              {"t", "user", "dense", "", {}, "", 1.0, 2.0, "g"},
              {"genres", "item", "multi", "terms", {"x", "y", "z"}, "mean", 0, 1, "g"},
              {"h", "context", "categorical", "", {"0", "1"}, "", 0, 1, ""}};
  TensorFile tf = random_weights(m, 1);
  set_tensor(tf, "bias", {0.5f});
  set_tensor(tf, "linear.u", {0.0f, 0.1f, 0.2f});
  set_tensor(tf, "embed.u", {0, 0, 1, 2, 3, 4});
  set_tensor(tf, "linear.t", {0.3f});
  set_tensor(tf, "embed.t", {1, -1});
  set_tensor(tf, "linear.genres", {0.7f, 1.0f, 2.0f, 4.0f});
  set_tensor(tf, "embed.genres", {9, 9, 1, 0, 0, 1, 2, 2});
  set_tensor(tf, "linear.h", {0.0f, 0.25f, 0.5f});
  auto model = Model::parse(reco::write_safetensors(tf));

  UserProfile user;
  user.features.push_back(feat("u", "b"));
  user.features.push_back(feat("t", "5"));  // x = (5 - 1) / 2 = 2
  Item item;
  item.id = reco::to_string("i1");
  item.terms.push_back(reco::to_string("x"));
  item.terms.push_back(reco::to_string("nope"));
  item.terms.push_back(reco::to_string("z"));
  Ctx ctx = {{"h", "1"}};
  // e_u = (3,4), l_u = .2; e_t = 2*(1,-1) = (2,-2), l_t = .6; genres mean of rows 1 and 3:
  // e = (1.5, 1), l = 2.5; h row 2: l = .5. Pairs: <e_u,e_t> + <e_u,e_g> + <e_t,e_g>
  // = (6-8) + (4.5+4) + (3-2) = 7.5. Total = .5 + .2 + .6 + 2.5 + .5 + 7.5 = 11.8.
  EXPECT_NEAR(model->score_full("k", &user, ctx, "i1", item), 11.8, 1e-5);
  std::vector<float> row(model->item_width());
  model->prepare_item("i1", item, row.data());
  auto us = model->prepare_user("k", &user, ctx);
  std::uint32_t id = 0;
  float out = 0;
  model->score(us, row.data(), {&id, 1}, {&out, 1});
  EXPECT_NEAR(out, 11.8, 1e-5);

  // Unknown values use row 0; a multi field with no known value uses row 0 once; an
  // unparsable dense value is the mean (x = 0).
  UserProfile odd;
  odd.features.push_back(feat("u", "zzz"));
  odd.features.push_back(feat("t", "5x"));
  Item none;
  none.terms.push_back(reco::to_string("nope"));
  // e_u = 0, l_u = 0; t: 0; genres row 0: e = (9,9), l = .7; h missing: row 0 l = 0.
  EXPECT_NEAR(model->score_full("k", &odd, {}, "i2", none), 0.5 + 0.7, 1e-5);
}

TEST(Model, SumCombinerAndSplitFeatureValues) {
  ModelSpec m;
  m.output = "logit";
  m.fields = {{"tags", "item", "multi", "feature:tags", {"p", "q"}, "sum", 0, 1, ""}};
  TensorFile tf = random_weights(m, 2);
  set_tensor(tf, "bias", {0.0f});
  set_tensor(tf, "linear.tags", {0.125f, 1.0f, 10.0f});
  auto model = Model::parse(reco::write_safetensors(tf));
  Item it;
  it.features.push_back(feat("tags", "p|q|p|r"));
  EXPECT_NEAR(model->score_full("", nullptr, {}, "x", it), 12.0, 1e-6);  // p + q + p; r unknown
  Item empty;
  EXPECT_NEAR(model->score_full("", nullptr, {}, "x", empty), 0.125, 1e-6);
}

struct RandomWorld {
  std::vector<Item> items;
  std::vector<UserProfile> users;
  std::vector<std::string> keys;
  std::vector<std::vector<std::pair<std::string, std::string>>> ctx;
};

// Users and items with present, missing, unknown and malformed values in every field.
RandomWorld random_world(std::uint64_t seed, int n_items, int n_users) {
  std::mt19937_64 rng(seed);
  RandomWorld w;
  for (int i = 0; i < n_items; ++i) {
    Item it = movielens_item(rng, static_cast<std::uint32_t>(rng() % 5000));
    switch (rng() % 6) {
      case 0: it.terms.clear(); break;                                          // no genres
      case 1: it.terms = {reco::to_string("Unknown"), reco::to_string("")}; break;  // none known
      case 2: it.features.clear(); break;                                       // no dense values
      case 3: it.features[0].value = reco::to_string("n/a"); break;              // unparsable
      case 4: it.features[1].value = reco::to_string("1e999"); break;            // not finite
      default: break;
    }
    w.items.push_back(std::move(it));
  }
  for (int u = 0; u < n_users; ++u) {
    UserProfile p = movielens_user(rng);
    if (rng() % 5 == 0) p.features.clear();
    if (rng() % 7 == 0) p.features[0 % std::max<std::size_t>(1, p.features.size())].value = reco::to_string("X");
    w.users.push_back(std::move(p));
    w.keys.push_back(rng() % 10 == 0 ? "stranger" : std::to_string(1 + rng() % 6040));
    std::vector<std::pair<std::string, std::string>> c;
    if (rng() % 3) c.emplace_back("hour", std::to_string(rng() % 30));  // some out of vocab
    if (rng() % 4 == 0) c.emplace_back("other", "1");
    w.ctx.push_back(std::move(c));
  }
  return w;
}

void check_precomputed_matches_full(const ModelSpec& spec, std::uint64_t seed) {
  auto model = Model::parse(model_file(spec, seed, 0.2f));
  RandomWorld w = random_world(seed + 1, 800, 12);
  ItemList list;
  for (auto& it : w.items) list.add(it);
  reco::ItemTable table(model);
  table.build(list);
  std::vector<std::uint32_t> ids;
  std::mt19937_64 rng(seed + 2);
  for (int k = 0; k < 300; ++k) ids.push_back(static_cast<std::uint32_t>(rng() % w.items.size()));
  std::vector<float> out(ids.size());
  double worst = 0;
  std::size_t checked = 0;
  for (std::size_t u = 0; u < w.users.size(); ++u) {
    Ctx ctx;
    for (auto& kv : w.ctx[u]) ctx.emplace_back(kv.first, kv.second);
    const UserProfile* user = u % 6 == 5 ? nullptr : &w.users[u];  // some cold users
    auto us = model->prepare_user(w.keys[u], user, ctx);
    table.score(us, ids, out);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const Item& it = w.items[ids[k]];
      const float full = model->score_full(w.keys[u], user, ctx, reco::view(it.id), it);
      worst = std::max(worst, std::abs(double(full) - out[k]));
      ASSERT_TRUE(std::isfinite(out[k]));
      ++checked;
    }
  }
  EXPECT_GE(checked, 3000u);
  EXPECT_LT(worst, 1e-5);
  std::printf("  worst |precomputed - full| = %.3g over %zu scores\n", worst, checked);
}

TEST(Model, PrecomputedMatchesFullFmOnly) {
  check_precomputed_matches_full(movielens_spec(16, false), 11);
  auto logit = movielens_spec(8, false);
  logit.output = "logit";
  check_precomputed_matches_full(logit, 12);
}

TEST(Model, PrecomputedMatchesFullWithMlp) {
  check_precomputed_matches_full(movielens_spec(16, true), 21);
  check_precomputed_matches_full(movielens_spec(8, true, {}), 22);       // output layer only
  check_precomputed_matches_full(movielens_spec(4, true, {7, 5, 3}), 23);  // odd widths
}

TEST(Model, SeveralGroupsAndWideEmbeddings) {
  ModelSpec m = movielens_spec(16, false);
  m.groups = {{"fm", 16}, {"small", 3}, {"wide", 70}};
  m.fields[2].group = "small";  // gender
  m.fields[5].group = "small";  // genres
  m.fields[3].group = "wide";   // age
  m.fields[6].group = "wide";   // year
  check_precomputed_matches_full(m, 31);
  m.mlp = true;
  m.mlp_inputs = {{"pop", "embedding"}, {"age", "embedding"}, {"clk", "value"}, {"hour", "embedding"}};
  m.layers = {9};
  check_precomputed_matches_full(m, 32);  // "pop" has no group: its embedding width is free
}

TEST(Model, ToBytesRoundTripsExactly) {
  auto a = Model::parse(model_file(movielens_spec(8, true), 41));
  auto b = Model::parse(a->to_bytes());
  RandomWorld w = random_world(42, 50, 3);
  for (const Item& it : w.items)
    EXPECT_EQ(a->score_full(w.keys[0], &w.users[0], {}, reco::view(it.id), it),
              b->score_full(w.keys[0], &w.users[0], {}, reco::view(it.id), it));
  EXPECT_EQ(a->parameter_count(), b->parameter_count());
  EXPECT_GT(a->memory_bytes(), a->parameter_count() * 4);
}

TEST(Model, ScoreChecksItsInputs) {
  auto a = Model::parse(model_file(movielens_spec(8, false), 51));
  auto b = Model::parse(model_file(movielens_spec(8, false), 52));
  auto us = b->prepare_user("1", nullptr, {});
  std::vector<float> rows(a->item_width() * 2);
  std::vector<std::uint32_t> ids = {0, 1};
  std::vector<float> out(2);
  EXPECT_THROW(a->score(us, rows.data(), ids, out), reco::Error);
  auto ua = a->prepare_user("1", nullptr, {});
  std::vector<float> short_out(1);
  EXPECT_THROW(a->score(ua, rows.data(), ids, short_out), reco::Error);
  reco::ItemTable table(a);
  ItemList none;
  table.build(none);
  std::vector<std::uint32_t> far = {100000};
  EXPECT_THROW(table.score(ua, far, short_out), reco::Error);
}

TEST(Model, ItemTableFollowsItemChanges) {
  auto model = Model::parse(model_file(movielens_spec(8, true), 61));
  std::mt19937_64 rng(62);
  ItemList list;
  for (int i = 0; i < 10; ++i) list.add(movielens_item(rng, i));
  reco::ItemTable table(model);
  table.build(list);
  // A new item far past the bound, and a changed one.
  Item fresh = movielens_item(rng, 77);
  table.on_item(500, reco::view(fresh.id), fresh);
  EXPECT_GE(table.bound(), 501u);
  list.items[3] = movielens_item(rng, 3000);
  table.on_item(3, reco::view(list.items[3].id), list.items[3]);
  table.on_remove(4);
  table.on_remove(1000000);  // out of range: ignored
  UserProfile u = movielens_user(rng);
  auto us = model->prepare_user("17", &u, {});
  std::vector<std::uint32_t> ids = {500, 3, 0};
  std::vector<float> out(3);
  table.score(us, ids, out);
  EXPECT_NEAR(out[0], model->score_full("17", &u, {}, reco::view(fresh.id), fresh), 1e-5);
  EXPECT_NEAR(out[1], model->score_full("17", &u, {}, reco::view(list.items[3].id), list.items[3]), 1e-5);
  EXPECT_NEAR(out[2], model->score_full("17", &u, {}, reco::view(list.items[0].id), list.items[0]), 1e-5);
  for (std::size_t k = 0; k < model->item_width(); ++k) EXPECT_EQ(table.row(4)[k], 0.0f);
}

// ---- malformed files ----

std::string parse_error(const std::string& bytes) {
  try {
    Model::parse(bytes);
  } catch (const reco::Error& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string with_schema(const std::string& schema, const TensorFile& tf) {
  TensorFile t = tf;
  t.metadata = {{"reco", schema}};
  return reco::write_safetensors(t);
}

// Replaces the first occurrence of `from` in the spec's JSON (which must occur).
std::string schema_edit(const ModelSpec& spec, const std::string& from, const std::string& to) {
  std::string j = schema_json(spec);
  auto p = j.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) j.replace(p, from.size(), to);
  return j;
}

#define EXPECT_MODEL_REFUSED(bytes, fragment)                                   \
  do {                                                                          \
    const std::string msg_ = parse_error(bytes);                                \
    EXPECT_NE(msg_.find(fragment), std::string::npos) << "message: " << msg_;   \
  } while (0)

class MalformedModel : public ::testing::Test {
 protected:
  ModelSpec spec = movielens_spec(8, true, {6, 4});
  TensorFile tf = random_weights(spec, 99);
  std::string edited(const std::string& from, const std::string& to) {
    return with_schema(schema_edit(spec, from, to), tf);
  }
  std::string without(const std::string& tensor) {
    TensorFile t = tf;
    std::erase_if(t.tensors, [&](const reco::Tensor& x) { return x.name == tensor; });
    return reco::write_safetensors(t);
  }
  reco::Tensor& tensor(TensorFile& t, const std::string& name) {
    for (auto& x : t.tensors)
      if (x.name == name) return x;
    throw std::runtime_error("no tensor " + name);
  }
};

TEST_F(MalformedModel, ValidFileIsAccepted) { EXPECT_EQ(parse_error(reco::write_safetensors(tf)), "(accepted)"); }

TEST_F(MalformedModel, BadContainerOrSchemaText) {
  EXPECT_MODEL_REFUSED(std::string("garbage"), "safetensors:");
  TensorFile t = tf;
  t.metadata = {{"other", "x"}};
  EXPECT_MODEL_REFUSED(reco::write_safetensors(t), "no __metadata__ \"reco\"");
  EXPECT_MODEL_REFUSED(with_schema("{\"format\":", tf), "invalid JSON");
  EXPECT_MODEL_REFUSED(with_schema("[]", tf), "not a JSON object");
  EXPECT_MODEL_REFUSED(edited("\"reco.fm\"", "\"onnx\""), "format is \"onnx\"");
  EXPECT_MODEL_REFUSED(edited("\"version\":1", "\"version\":2"), "version 2 is not supported");
  EXPECT_MODEL_REFUSED(edited("\"output\":\"sigmoid\"", "\"output\":\"softmax\""), "unknown output \"softmax\"");
  EXPECT_MODEL_REFUSED(edited("\"name\":\"gender\"", "\"name\":\"gender\",\"name\":\"x\""), "duplicate key \"name\"");
}

TEST_F(MalformedModel, BadFields) {
  EXPECT_MODEL_REFUSED(edited("\"kind\":\"categorical\"", "\"kind\":\"ordinal\""), "unknown kind \"ordinal\"");
  EXPECT_MODEL_REFUSED(edited("\"side\":\"user\"", "\"side\":\"server\""), "unknown side \"server\"");
  EXPECT_MODEL_REFUSED(edited("\"combiner\":\"mean\"", "\"combiner\":\"max\""), "unknown combiner \"max\"");
  EXPECT_MODEL_REFUSED(edited("\"combiner\":\"mean\"", "\"combinor\":\"mean\""), "unknown key \"combinor\"");
  EXPECT_MODEL_REFUSED(edited("\"source\":\"id\"", "\"source\":\"cookie\""), "unknown source \"cookie\"");
  EXPECT_MODEL_REFUSED(edited("\"source\":\"terms\"", "\"source\":\"id\""), "source \"id\" needs kind categorical");
  EXPECT_MODEL_REFUSED(edited("\"std\":1.500000", "\"std\":0"), "field \"pop\" std must be > 0");
  EXPECT_MODEL_REFUSED(edited("\"std\":1.500000", "\"std\":-2"), "std must be > 0");
  EXPECT_MODEL_REFUSED(edited("\"vocab\":[\"F\",\"M\"]", "\"vocab\":[\"F\",\"M\",\"F\"]"),
                       "field \"gender\" vocab has duplicate value \"F\"");
  EXPECT_MODEL_REFUSED(edited("\"vocab\":[\"F\",\"M\"]", "\"vocab\":[\"F\",7]"), "vocab entry #1 is not a string");
  EXPECT_MODEL_REFUSED(edited("\"name\":\"age\"", "\"name\":\"gender\""), "duplicate field name \"gender\"");
  EXPECT_MODEL_REFUSED(edited("\"group\":\"fm\"", "\"group\":\"ffm\""), "unknown group \"ffm\"");
  EXPECT_MODEL_REFUSED(edited("\"groups\":[{\"name\":\"fm\",\"dim\":8}]",
                              "\"groups\":[{\"name\":\"fm\",\"dim\":8},{\"name\":\"fm\",\"dim\":4}]"),
                       "duplicate group name \"fm\"");
  EXPECT_MODEL_REFUSED(edited("\"dim\":8", "\"dim\":5000"), "dim 5000 is outside 1..4096");
  EXPECT_MODEL_REFUSED(edited("\"dim\":8", "\"dim\":0"), "outside");
  EXPECT_MODEL_REFUSED(edited("{\"name\":\"fm\",\"dim\":8}", "{\"name\":\"fm\",\"dim\":4096},{\"name\":\"x\",\"dim\":1}"),
                       "dims sum to 4097");
  EXPECT_MODEL_REFUSED(edited("\"name\":\"hour\",\"side\":\"context\",\"kind\":\"categorical\"",
                              "\"name\":\"hour\",\"side\":\"context\",\"kind\":\"categorical\",\"source\":\"id\""),
                       "context field: source \"id\" is not allowed");
  EXPECT_MODEL_REFUSED(edited("\"name\":\"hour\",\"side\":\"context\",\"kind\":\"categorical\"",
                              "\"name\":\"hour\",\"side\":\"context\",\"kind\":\"categorical\",\"source\":\"feature:h\""),
                       "context field");
  EXPECT_MODEL_REFUSED(edited("\"mean\":2.000000", "\"vocab\":[],\"mean\":2.000000"), "dense and takes no vocab");
  EXPECT_MODEL_REFUSED(edited("\"fields\":[", "\"fields\":[],\"x\":["), "no fields");
}

TEST_F(MalformedModel, BadMlp) {
  EXPECT_MODEL_REFUSED(edited("{\"field\":\"user_id\",", "{\"field\":\"user_ix\","),
                       "references unknown field \"user_ix\"");
  EXPECT_MODEL_REFUSED(edited("{\"field\":\"user_id\",\"part\":\"embedding\"}",
                              "{\"field\":\"user_id\",\"part\":\"value\"}"),
                       "takes the value of field \"user_id\", which is not dense");
  EXPECT_MODEL_REFUSED(edited("\"part\":\"embedding\"", "\"part\":\"whole\""), "unknown part \"whole\"");
  EXPECT_MODEL_REFUSED(edited("\"layers\":[6,4]", "\"layers\":[6,4,1,1,1,1,1,1,1]"), "9 hidden layers");
  EXPECT_MODEL_REFUSED(edited("\"layers\":[6,4]", "\"layers\":[6,0]"), "mlp layer size 0");
  EXPECT_MODEL_REFUSED(edited("\"layers\":[6,4]", "\"layers\":[6,5]"), "mlp.1.weight shape [4,6]");
}

TEST_F(MalformedModel, BadTensors) {
  EXPECT_MODEL_REFUSED(without("embed.genres"), "tensor embed.genres is missing");
  EXPECT_MODEL_REFUSED(without("linear.pop"), "tensor linear.pop is missing");
  EXPECT_MODEL_REFUSED(without("mlp.2.bias"), "tensor mlp.2.bias is missing");
  EXPECT_MODEL_REFUSED(without("bias"), "tensor bias is missing");
  TensorFile t = tf;
  t.tensors.push_back(random_weights(spec, 1).tensors[0]);
  t.tensors.back().name = "embed.genre";
  EXPECT_MODEL_REFUSED(reco::write_safetensors(t), "tensor embed.genre is not used by the schema");

  t = tf;
  auto& g = tensor(t, "embed.genres");
  g.shape = {19, 16};
  g.data.resize(19 * 16);
  EXPECT_MODEL_REFUSED(reco::write_safetensors(t), "tensor embed.genres shape [19,16] does not match group fm dim 8");
  t = tf;
  auto& g2 = tensor(t, "embed.genres");
  g2.shape = {18, 8};
  g2.data.resize(18 * 8);
  EXPECT_MODEL_REFUSED(reco::write_safetensors(t), "vocab size 18 + 1");
  t = tf;
  auto& l = tensor(t, "linear.year");
  l.shape = {2};
  l.data.resize(2);
  EXPECT_MODEL_REFUSED(reco::write_safetensors(t), "tensor linear.year shape [2] does not match dense field year");
  t = tf;
  auto& w = tensor(t, "mlp.0.weight");
  w.shape = {w.shape[1], w.shape[0]};
  EXPECT_MODEL_REFUSED(reco::write_safetensors(t), "mlp.0.weight shape");

  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    t = tf;
    tensor(t, "embed.age").data[5] = bad;
    EXPECT_MODEL_REFUSED(reco::write_safetensors(t), "tensor embed.age has a non-finite value");
  }
}

TEST(ModelRobustness, TruncationAndCorruptionNeverCrash) {
  const ModelSpec small = small_spec();
  const std::string bytes = model_file(small, 3);
  ASSERT_EQ(parse_error(bytes), "(accepted)");
  std::mt19937_64 rng(5);
  // Truncations across the header and the data.
  for (std::size_t n = 0; n < bytes.size(); n += 1 + rng() % 7)
    EXPECT_THROW(Model::parse(std::string_view(bytes).substr(0, n)), reco::Error) << n;
  // Random corruption, weighted towards the header where the structure lives.
  std::uint64_t header = 0;
  for (int b = 0; b < 8; ++b) header |= std::uint64_t(static_cast<unsigned char>(bytes[b])) << (8 * b);
  int accepted = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::string b = bytes;
    for (int k = 1 + int(rng() % 3); k > 0; --k) {
      const std::size_t pos = rng() % 2 ? rng() % (header + 8) : rng() % b.size();
      b[pos] = static_cast<char>(rng());
    }
    try {
      auto m = Model::parse(b);
      ++accepted;
      // Whatever was accepted must score without trouble.
      std::mt19937_64 r2(trial);
      Item it = movielens_item(r2, 5);
      UserProfile u = movielens_user(r2);
      std::vector<float> row(m->item_width());
      m->prepare_item("5", it, row.data());
      auto us = m->prepare_user("5", &u, {});
      std::uint32_t id = 0;
      float out;
      m->score(us, row.data(), {&id, 1}, {&out, 1});
      EXPECT_FALSE(std::isnan(out));
    } catch (const reco::Error&) {
    }
  }
  EXPECT_LT(accepted, 1500);
}

}  // namespace

// The trainer's run record (__metadata__ "reco.run") is kept as found, survives
// to_bytes(), and is refused when it is not a JSON object or is too long.
TEST(Model, RunRecordIsKeptAndChecked) {
  const ModelSpec spec = small_spec();
  {
    reco::TensorFile tf = random_weights(spec, 3);
    auto m = reco::Model::parse(reco::write_safetensors(tf));
    EXPECT_TRUE(m->run_record().empty());
  }
  const std::string run = R"({"tool":"reco-rank","data_digest":"00112233aabbccdd","per_epoch":[{"epoch":1}]})";
  reco::TensorFile tf = random_weights(spec, 3);
  tf.metadata.emplace_back("reco.run", run);
  auto m = reco::Model::parse(reco::write_safetensors(tf));
  EXPECT_EQ(m->run_record(), run);
  EXPECT_EQ(reco::Model::parse(m->to_bytes())->run_record(), run);
  for (const std::string& bad : {std::string("[1,2]"), std::string("{\"a\":"), std::string("\"text\""),
                                std::string("{\"a\":1,\"a\":2}"),
                                "{\"pad\":\"" + std::string(reco::kMaxRunRecordBytes, 'x') + "\"}"}) {
    reco::TensorFile b = random_weights(spec, 3);
    b.metadata.emplace_back("reco.run", bad);
    try {
      reco::Model::parse(reco::write_safetensors(b));
      ADD_FAILURE() << "accepted run record " << bad.substr(0, 40);
    } catch (const reco::Error& e) {
      EXPECT_NE(std::string(e.what()).find("run record"), std::string::npos) << e.what();
    }
  }
}
