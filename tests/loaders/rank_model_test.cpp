// The ranking model offline: its gradient against finite differences, the
// point-in-time genre statistics on a hand-made history, bit-identical
// training for a seed, a test AUC above item popularity on a small generated
// set, and the model file: a byte round trip, the contract scorer agreeing
// with the trainer on ordinary rows and on rows with unknown values and
// missing features, and broken files refused.
#include <gtest/gtest.h>

#include <cmath>
#include <unordered_map>

#include "reco_offline/auc.hpp"
#include "reco_offline/prepare.hpp"
#include "reco_offline/prng.hpp"
#include "reco_offline/rank_export.hpp"
#include "reco_offline/rank_features.hpp"
#include "reco_offline/rank_model.hpp"
#include "reco_offline/rank_scorer.hpp"
#include "reco_offline/rank_trainer.hpp"
#include "reco_offline/synthetic.hpp"
#include "reco_offline/text_input.hpp"
#include "temp_dir.hpp"

using namespace reco_offline;

namespace {

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Random encoded rows for a layout: categorical rows 0..V, 1-3 multi rows, dense ~ N(0,1).
RankRows random_rows(const RankLayout& l, size_t n, uint64_t seed) {
  Rng rng(seed);
  RankRows rows;
  rows.n_cat = l.cat_rows.size();
  rows.n_multi = l.multi_rows.size();
  rows.n_dense = l.n_dense;
  for (size_t r = 0; r < n; ++r) {
    for (uint32_t v : l.cat_rows) rows.cat.push_back(static_cast<uint32_t>(rng.below(v)));
    for (uint32_t v : l.multi_rows) {
      const size_t k = 1 + rng.below(3);
      for (size_t q = 0; q < k; ++q) rows.multi_rows.push_back(static_cast<uint32_t>(rng.below(v)));
      rows.multi_offsets.push_back(static_cast<uint32_t>(rows.multi_rows.size()));
    }
    for (size_t j = 0; j < l.n_dense; ++j) rows.dense.push_back(static_cast<float>(rng.normal()));
    rows.label.push_back(rng.bernoulli(0.5) ? 1.0f : 0.0f);
  }
  return rows;
}

RankLayout small_layout() {
  RankLayout l;
  l.cat_rows = {5, 4};
  l.multi_rows = {6};
  l.n_dense = 2;
  l.dim = 3;
  l.hidden = {5, 4};
  return l;
}

}  // namespace

TEST(RankModel, GradientMatchesFiniteDifferences) {
  const RankLayout l = small_layout();
  RankModel model(l, 7, 0.5f);
  // Non-zero everywhere, so that no term of the gradient is trivially zero.
  Rng rng(9);
  for (float& p : model.params()) p += static_cast<float>(rng.uniform(-0.3, 0.3));
  const RankRows rows = random_rows(l, 12, 5);
  std::vector<uint32_t> idx(rows.size());
  for (size_t k = 0; k < idx.size(); ++k) idx[k] = static_cast<uint32_t>(k);
  const RankPenalty penalty{0.2f, 0.05f};
  std::vector<float> grad, scratch;
  model.loss_and_gradient(rows, idx.data(), idx.size(), penalty, grad);
  ASSERT_EQ(grad.size(), model.params().size());
  size_t checked = 0, nonzero = 0;
  for (size_t k = 0; k < model.params().size(); ++k) {
    const float keep = model.params()[k];
    const float h = 2e-3f;
    model.params()[k] = keep + h;
    const double up = model.loss_and_gradient(rows, idx.data(), idx.size(), penalty, scratch);
    model.params()[k] = keep - h;
    const double down = model.loss_and_gradient(rows, idx.data(), idx.size(), penalty, scratch);
    model.params()[k] = keep;
    const double numeric = (up - down) / (2.0 * h);
    EXPECT_NEAR(grad[k], numeric, 2e-4 + 2e-2 * std::abs(numeric)) << "parameter " << k;
    ++checked;
    if (std::abs(numeric) > 1e-4) ++nonzero;
  }
  EXPECT_GT(nonzero, checked / 3);
}

TEST(RankModel, LogitsDoNotDependOnTheBatch) {
  const RankLayout l = small_layout();
  const RankModel model(l, 3, 0.3f);
  const RankRows rows = random_rows(l, 50, 8);
  const std::vector<float> all = model.logits(rows);
  for (uint32_t r : {0u, 17u, 49u}) {
    float one = 0;
    model.logits(rows, &r, 1, &one);
    EXPECT_NEAR(one, all[r], 1e-6f);
  }
}

TEST(RankFeatures, GenreStatisticsArePointInTime) {
  test::TempDir dir;
  // Items: 1 Action, 2 Action|Comedy, 3 Comedy. User 7 rates 1 (5*), 2 (2*), 3 (4*) at t=10,20,20 then 1 at 30.
  Prepared p;
  p.genre_names = movielens_genres();
  p.items = {{"1", "A", {"Action"}, 0, 0, {}}, {"2", "B", {"Action", "Comedy"}, 0, 0, {}}, {"3", "C", {"Comedy"}, 0, 0, {}}};
  p.users = {{"7", {}, {}, {{"gender", "F"}}}};
  p.split.train = {{7, 1, 10, 5}, {7, 2, 20, 2}, {7, 3, 20, 4}};
  p.split.test = {{7, 1, 30, 4}};
  p.split.holdout = {{7, 2, 40, 1}};
  write_users(dir.file("users.tsv"), p.users);
  write_items(dir.file("items.tsv"), p.items);
  write_rating_rows(dir.file("train.tsv"), p.split.train, nullptr, p.genre_names);
  write_rating_rows(dir.file("test.tsv"), p.split.test, nullptr, p.genre_names);
  write_rating_rows(dir.file("holdout.tsv"), p.split.holdout, nullptr, p.genre_names);
  const RankData d = load_rank_data(dir.path(), 2);
  ASSERT_EQ(d.genres, (std::vector<std::string>{"Action", "Comedy"}));
  const auto counts = [&](const RankPart& part, size_t r) {
    return std::vector<float>(part.counts.begin() + r * 4, part.counts.begin() + r * 4 + 4);
  };
  // imp Action, imp Comedy, clk Action, clk Comedy
  EXPECT_EQ(counts(d.train, 0), (std::vector<float>{0, 0, 0, 0}));  // nothing before t=10
  EXPECT_EQ(counts(d.train, 1), (std::vector<float>{1, 0, 1, 0}));  // same-second rating 3 excluded
  EXPECT_EQ(counts(d.train, 2), (std::vector<float>{1, 0, 1, 0}));
  EXPECT_EQ(counts(d.test, 0), (std::vector<float>{1, 2, 0, 1}));   // window 2: ratings of items 2 and 3
  EXPECT_EQ(counts(d.holdout, 0), (std::vector<float>{1, 1, 1, 1}));  // items 3 (4*) and 1 (4*)
  EXPECT_EQ(std::vector<float>(d.online_counts.begin(), d.online_counts.end()), (std::vector<float>{1, 1, 1, 1}));
  const auto users = users_with_statistics(d);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].features, (std::vector<NameValue>{{"gender", "F"}, {"g_imp_Action", "1"}, {"g_imp_Comedy", "1"},
                                                        {"g_clk_Action", "1"}, {"g_clk_Comedy", "1"}}));
}

class RankGenerated : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir = new test::TempDir();
    SyntheticConfig c;
    c.users = 400;
    c.items = 300;
    c.ratings = 40000;
    c.seed = 5;
    write_prepared(prepare(generate_synthetic(c), {}), dir->path());
    data = new RankData(load_rank_data(dir->path(), 10));
    schema = new RankSchema(make_rank_schema(*data, "user:", 8, {16, 8}));
    encoder = new RankEncoder(*schema);
    train = new RankRows(encode_part(*data, data->train, *encoder));
    test = new RankRows(encode_part(*data, data->test, *encoder));
  }
  static void TearDownTestSuite() {
    delete test;
    delete train;
    delete encoder;
    delete schema;
    delete data;
    delete dir;
  }
  static RankConfig config(uint64_t seed) {
    RankConfig c;
    c.epochs = 3;
    c.batch = 128;
    c.learning_rate = 2e-3f;
    c.seed = seed;
    c.train_auc = false;
    return c;
  }
  static test::TempDir* dir;
  static RankData* data;
  static RankSchema* schema;
  static RankEncoder* encoder;
  static RankRows *train, *test;
};
test::TempDir* RankGenerated::dir = nullptr;
RankData* RankGenerated::data = nullptr;
RankSchema* RankGenerated::schema = nullptr;
RankEncoder* RankGenerated::encoder = nullptr;
RankRows* RankGenerated::train = nullptr;
RankRows* RankGenerated::test = nullptr;

TEST_F(RankGenerated, FastEncodingEqualsTheContractRules) {
  RankRows general = encoder->empty_rows();
  for (size_t r = 0; r < data->test.rows.size(); ++r) {
    encoder->append(rank_input(*data, data->test, r, "user:"), is_positive(data->test.rows[r]) ? 1.0f : 0.0f, general);
  }
  EXPECT_EQ(general.cat, test->cat);
  EXPECT_EQ(general.multi_offsets, test->multi_offsets);
  EXPECT_EQ(general.multi_rows, test->multi_rows);
  EXPECT_EQ(general.dense, test->dense);
  EXPECT_EQ(general.label, test->label);
}

TEST_F(RankGenerated, SameSeedSameModelOtherSeedOtherModel) {
  const RankLayout l = rank_layout(*schema);
  RankConfig c = config(11);
  c.epochs = 1;
  const RankResult a = train_rank(l, *train, *test, c);
  const RankResult b = train_rank(l, *train, *test, c);
  EXPECT_EQ(a.model.params(), b.model.params());
  EXPECT_EQ(a.best_test_auc, b.best_test_auc);
  c.seed = 12;
  const RankResult other = train_rank(l, *train, *test, c);
  EXPECT_NE(a.model.params(), other.model.params());
}

TEST_F(RankGenerated, TestAucAbovePopularityAndRising) {
  std::vector<RankEpoch> epochs;
  const RankResult r = train_rank(rank_layout(*schema), *train, *test, config(3),
                                  [&](const RankEpoch& e) { epochs.push_back(e); });
  ASSERT_FALSE(epochs.empty());
  std::unordered_map<Id, float> count;
  for (const auto& x : data->train.rows) count[x.item] += 1;
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  for (const auto& x : data->test.rows) {
    scores.push_back(count.count(x.item) ? count[x.item] : 0.0f);
    labels.push_back(is_positive(x) ? 1 : 0);
  }
  const double pop = roc_auc(scores, labels);
  EXPECT_GT(r.best_test_auc, pop + 0.02);
  EXPECT_GT(r.best_test_auc, 0.65);
  EXPECT_DOUBLE_EQ(rank_auc(r.model, *test), r.best_test_auc);
  EXPECT_LT(epochs.back().loss, epochs.front().loss);
}

TEST_F(RankGenerated, ModelFileRoundTripAndContractScorer) {
  RankConfig c = config(4);
  c.epochs = 1;
  const RankResult r = train_rank(rank_layout(*schema), *train, *test, c);
  const ModelFile file = export_rank_model(*schema, r.model);
  write_model_file(dir->file("m.safetensors"), file);
  const ModelFile back = read_model_file(dir->file("m.safetensors"));
  EXPECT_EQ(back.schema, file.schema);
  ASSERT_EQ(back.tensors.size(), file.tensors.size());
  for (const auto& [name, t] : file.tensors) {
    ASSERT_TRUE(back.tensors.count(name)) << name;
    EXPECT_EQ(back.tensors.at(name).shape, t.shape) << name;
    EXPECT_EQ(back.tensors.at(name).data, t.data) << name;
  }
  const std::string bytes = read_whole_file(dir->file("m.safetensors"));
  uint64_t header = 0;
  for (int b = 0; b < 8; ++b) header |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[b])) << (8 * b);
  EXPECT_EQ(header % 8, 0u);

  const ModelFileScorer scorer(back);
  // Ordinary rows: the trainer's logits against the file's scores.
  const std::vector<float> z = r.model.logits(*test);
  double worst = 0;
  for (size_t k = 0; k < data->test.rows.size(); k += 7) {
    worst = std::max(worst, std::abs(scorer.score(rank_input(*data, data->test, k, "user:")) - sigmoid(z[k])));
  }
  EXPECT_LT(worst, 1e-5);

  // Unknown and missing values: the trainer's encoding of the raw row against the file.
  std::vector<RankInput> odd;
  RankInput base = rank_input(*data, data->test, 0, "user:");
  odd.push_back(base);
  RankInput x = base;
  x.user_key = "user:no-such-user";
  x.item_id = "no-such-item";
  odd.push_back(x);
  x = base;
  x.user_features = {{"gender", "X"}, {"age", "999"}, {"g_imp_Drama", "abc"}, {"g_clk_Drama", "7.5"}};
  odd.push_back(x);
  x = base;
  x.user_features.clear();
  x.item_terms = {"NoSuchGenre"};
  odd.push_back(x);
  x = base;
  x.item_terms = {"Drama", "NoSuchGenre", "Comedy"};
  odd.push_back(x);
  x = RankInput{};
  odd.push_back(x);
  RankRows rows = encoder->empty_rows();
  for (const auto& in : odd) encoder->append(in, 0, rows);
  const std::vector<float> oz = r.model.logits(rows);
  for (size_t k = 0; k < odd.size(); ++k) EXPECT_NEAR(scorer.score(odd[k]), sigmoid(oz[k]), 1e-5) << "row " << k;
  // Unknown values really land on row 0: the unknown user scores unlike the known one.
  EXPECT_NE(oz[0], oz[1]);
  EXPECT_EQ(rows.cat[rows.n_cat * 1 + 0], 0u);
  EXPECT_EQ(rows.cat[rows.n_cat * 1 + 1], 0u);
}

TEST_F(RankGenerated, BrokenModelFilesAreRefused) {
  const RankResult r = [&] {
    RankConfig c = config(4);
    c.epochs = 0;
    return train_rank(rank_layout(*schema), *train, *test, c);
  }();
  const ModelFile file = export_rank_model(*schema, r.model);
  const std::string bytes = serialize_model_file(file);
  EXPECT_NO_THROW(ModelFileScorer(parse_model_file(bytes, "ok")));
  EXPECT_THROW(parse_model_file(bytes.substr(0, bytes.size() - 4), "short"), DataError);
  EXPECT_THROW(parse_model_file(bytes.substr(0, 6), "tiny"), DataError);
  ModelFile extra = file;
  extra.tensors["embed.nothing"] = {{1, 8}, std::vector<float>(8, 0.0f)};
  EXPECT_THROW(ModelFileScorer{extra}, DataError);
  ModelFile missing = file;
  missing.tensors.erase("mlp.1.bias");
  EXPECT_THROW(ModelFileScorer{missing}, DataError);
  ModelFile shape = file;
  shape.tensors["linear.gender"].data.push_back(0);
  shape.tensors["linear.gender"].shape[0] += 1;
  EXPECT_THROW(ModelFileScorer{shape}, DataError);
  std::string f16 = bytes;
  const size_t at = f16.find("\"F32\"");
  ASSERT_NE(at, std::string::npos);
  f16.replace(at, 5, "\"F16\"");
  EXPECT_THROW(parse_model_file(f16, "f16"), DataError);
}
