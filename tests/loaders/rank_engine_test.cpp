// Offline/online consistency of the ranking model: a model trained and
// exported by the offline trainer, parsed by the engine's reco::Model, scores
// a few thousand rows (real rows of a generated set, and rows with unknown
// users, items, demographics and genres, missing or unparsable statistics,
// cold users) within 1e-5 of the trainer's contract scorer, both by the
// engine's direct evaluation and by its precomputed user/item split.
#include <gtest/gtest.h>

#include <cmath>

#include "reco/model.hpp"
#include "reco_offline/prepare.hpp"
#include "reco_offline/prng.hpp"
#include "reco_offline/rank_export.hpp"
#include "reco_offline/rank_features.hpp"
#include "reco_offline/rank_scorer.hpp"
#include "reco_offline/rank_trainer.hpp"
#include "reco_offline/synthetic.hpp"
#include "temp_dir.hpp"

using namespace reco_offline;

namespace {

reco::Item engine_item(const RankInput& in) {
  reco::Item it;
  it.id = reco::to_string(in.item_id);
  for (const auto& t : in.item_terms) it.terms.push_back(reco::to_string(t));
  for (const auto& [n, v] : in.item_features) it.features.push_back({reco::to_string(n), reco::to_string(v)});
  return it;
}

reco::UserProfile engine_user(const RankInput& in) {
  reco::UserProfile u;
  for (const auto& t : in.user_terms) u.terms.push_back({reco::to_string(t), 1.0f});
  for (const auto& [n, v] : in.user_features) u.features.push_back({reco::to_string(n), reco::to_string(v)});
  return u;
}

}  // namespace

TEST(RankEngineConsistency, EngineScoresLikeTheTrainer) {
  test::TempDir dir;
  SyntheticConfig c;
  c.users = 300;
  c.items = 250;
  c.ratings = 30000;
  c.seed = 8;
  write_prepared(prepare(generate_synthetic(c), {}), dir.path());
  const RankData data = load_rank_data(dir.path(), 10);
  const RankSchema schema = make_rank_schema(data, "user:", 8, {16, 8});
  const RankEncoder encoder(schema);
  const RankRows train = encode_part(data, data.train, encoder);
  const RankRows test = encode_part(data, data.test, encoder);
  RankConfig config;
  config.epochs = 2;
  config.train_auc = false;
  const RankResult trained = train_rank(rank_layout(schema), train, test, config);
  const std::string bytes = serialize_model_file(export_rank_model(schema, trained.model));
  const ModelFileScorer offline(parse_model_file(bytes, "model"));
  const auto engine = reco::Model::parse(bytes);
  ASSERT_TRUE(engine);

  // Real rows, then the same rows with values the model has never seen.
  std::vector<RankInput> rows;
  for (size_t r = 0; r < data.test.rows.size() && rows.size() < 2000; r += 3) {
    rows.push_back(rank_input(data, data.test, r, "user:"));
  }
  Rng rng(21);
  const size_t real = rows.size();
  for (size_t k = 0; k < real; k += 2) {
    RankInput x = rows[k];
    switch (rng.below(6)) {
      case 0: x.user_key = "user:unknown-" + std::to_string(k); break;
      case 1: x.item_id = "item-unknown-" + std::to_string(k); break;
      case 2:
        for (auto& [n, v] : x.user_features) {
          if (n == "gender") v = "?";
          if (n == "age") v = "";
          if (n.rfind("g_clk_", 0) == 0) v = "n/a";
        }
        break;
      case 3: x.user_features.resize(x.user_features.size() / 2); break;
      case 4: x.item_terms = rng.bernoulli(0.5) ? std::vector<std::string>{} : std::vector<std::string>{"Nope", "Drama"}; break;
      default: x.user_features.clear(); break;
    }
    rows.push_back(std::move(x));
  }
  ASSERT_GT(rows.size(), 2500u);

  double worst_full = 0, worst_split = 0;
  std::vector<float> item_row(engine->item_width());
  for (size_t k = 0; k < rows.size(); ++k) {
    const RankInput& in = rows[k];
    const double want = offline.score(in);
    const reco::Item item = engine_item(in);
    const reco::UserProfile user = engine_user(in);
    // Cold users (no profile at all) for a share of the rows.
    const bool cold = k % 10 == 9;
    const double expect = cold ? offline.score([&] {
      RankInput y = in;
      y.user_features.clear();
      y.user_terms.clear();
      return y;
    }()) : want;
    const double full = engine->score_full(in.user_key, cold ? nullptr : &user, {}, in.item_id, item);
    worst_full = std::max(worst_full, std::abs(full - expect));
    engine->prepare_item(in.item_id, item, item_row.data());
    const reco::UserSide side = engine->prepare_user(in.user_key, cold ? nullptr : &user, {});
    const uint32_t zero = 0;
    float split = 0;
    engine->score(side, item_row.data(), std::span<const uint32_t>(&zero, 1), std::span<float>(&split, 1));
    worst_split = std::max(worst_split, std::abs(static_cast<double>(split) - expect));
  }
  RecordProperty("max_diff_full", testing::PrintToString(worst_full));
  RecordProperty("max_diff_split", testing::PrintToString(worst_split));
  EXPECT_LT(worst_full, 1e-5);
  EXPECT_LT(worst_split, 1e-5);
}
