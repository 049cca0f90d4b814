// The next-item trainer: its pair gradient against central finite differences of
// its pair loss; the same seed gives bit-identical vectors and another seed
// different ones; on planted data the served top 50 of the vectors (through the
// engine's recommend(), vector source only) beats the popularity list on the
// users' next items, and the blend fit never does worse than the vectors alone.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "reco/blend.hpp"
#include "reco_offline/blend_fit.hpp"
#include "reco_offline/bpr_trainer.hpp"
#include "reco_offline/prng.hpp"
#include "reco_offline/synthetic.hpp"
#include "reco_offline/time_split.hpp"

using namespace reco_offline;

TEST(BprGradient, MatchesFiniteDifferences) {
  Rng rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const size_t d = 1 + rng.below(12);
    std::vector<float> p(d), qi(d), qj(d);
    for (size_t k = 0; k < d; ++k) {
      p[k] = static_cast<float>(rng.normal());
      qi[k] = static_cast<float>(rng.normal());
      qj[k] = static_cast<float>(rng.normal());
    }
    float bi = static_cast<float>(rng.normal()), bj = static_cast<float>(rng.normal());
    const float w = static_cast<float>(0.2 + rng.uniform() * 2), reg = 0.03f, breg = 0.01f;
    PairGradient g;
    bpr_pair_gradient(p, qi, qj, bi, bj, w, reg, breg, g);
    const double h = 1e-3;
    const auto loss = [&] { return bpr_pair_loss(p, qi, qj, bi, bj, w, reg, breg); };
    const auto check = [&](float& x, double analytic, const char* what, size_t k) {
      const float keep = x;
      x = static_cast<float>(keep + h);
      const double up = loss();
      x = static_cast<float>(keep - h);
      const double down = loss();
      x = keep;
      const double numeric = (up - down) / (2 * h);
      EXPECT_NEAR(analytic, numeric, 2e-3 * std::max(1.0, std::abs(numeric))) << what << "[" << k << "] trial " << trial;
    };
    for (size_t k = 0; k < d; ++k) {
      check(p[k], g.p[k], "p", k);
      check(qi[k], g.qi[k], "qi", k);
      check(qj[k], g.qj[k], "qj", k);
    }
    check(bi, g.bi, "bi", 0);
    check(bj, g.bj, "bj", 0);
  }
}

TEST(BprGradient, LossFallsAlongTheGradient) {
  std::vector<float> p{0.5f, -0.2f}, qi{0.1f, 0.3f}, qj{0.4f, 0.1f};
  float bi = 0, bj = 0;
  PairGradient g;
  const double before = bpr_pair_loss(p, qi, qj, bi, bj, 1, 0, 0);
  const float left = bpr_pair_gradient(p, qi, qj, bi, bj, 1, 0, 0, g);
  EXPECT_GT(left, 0.5f);  // the negative scores higher: more than half is left to learn
  for (size_t k = 0; k < 2; ++k) {
    p[k] -= 0.1f * g.p[k];
    qi[k] -= 0.1f * g.qi[k];
    qj[k] -= 0.1f * g.qj[k];
  }
  bi -= 0.1f * g.bi;
  bj -= 0.1f * g.bj;
  EXPECT_LT(bpr_pair_loss(p, qi, qj, bi, bj, 1, 0, 0), before);
}

class PlantedNextItem : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SyntheticConfig c;
    c.users = 1000;
    c.items = 800;
    c.ratings = 100000;
    c.seed = 5;
    const Dataset d = generate_synthetic(c);
    items = new std::vector<ItemRecord>;
    for (const auto& it : d.items) {
      ItemRecord r;
      r.id = std::to_string(it.id);
      r.terms = it.genres;
      items->push_back(r);
    }
    split = new TimeSplit(split_by_time(d.ratings, {}));
  }
  static void TearDownTestSuite() {
    delete split;
    delete items;
  }
  static BprConfig config() {
    BprConfig b;
    b.dim = 16;
    b.epochs = 12;
    return b;
  }
  static TimeSplit* split;
  static std::vector<ItemRecord>* items;
};
TimeSplit* PlantedNextItem::split = nullptr;
std::vector<ItemRecord>* PlantedNextItem::items = nullptr;

TEST_F(PlantedNextItem, SameSeedSameVectorsOtherSeedOther) {
  BprConfig c = config();
  c.epochs = 2;
  const BprModel a = train_bpr(split->train, c), b = train_bpr(split->train, c);
  ASSERT_EQ(a.items.size(), b.items.size());
  EXPECT_EQ(0, std::memcmp(a.users.data(), b.users.data(), sizeof(float) * a.users.size()));
  EXPECT_EQ(0, std::memcmp(a.items.data(), b.items.data(), sizeof(float) * a.items.size()));
  EXPECT_EQ(a.item_bias, b.item_bias);
  c.seed += 1;
  const BprModel other = train_bpr(split->train, c);
  EXPECT_NE(0, std::memcmp(a.items.data(), other.items.data(), sizeof(float) * a.items.size()));
}

TEST_F(PlantedNextItem, ServedVectorsBeatPopularityOnNextItems) {
  std::vector<BprEpochReport> reports;
  const BprModel m = train_bpr(split->train, config(), [&](const BprEpochReport& r) { reports.push_back(r); });
  ASSERT_EQ(reports.size(), 12u);
  EXPECT_LT(reports.back().loss, reports.front().loss);

  // Served through the engine: the vectors (with the bias dimension) as the catalog's
  // vectors, each user's training items as seen, the next 10 test items as relevant.
  std::vector<std::vector<WeightedTerm>> no_terms(split->test.size());
  const BlendBench bench(*items, bpr_item_factors(m), bpr_user_factors(m), split->train, split->test, no_terms);
  ASSERT_GT(bench.users(), 500u);
  reco::BlendConfig vectors_only, popular_only;
  vectors_only.source(reco::Source::Term).budget = 0;
  vectors_only.source(reco::Source::Popular).budget = 0;
  popular_only.source(reco::Source::Vector).budget = 0;
  popular_only.source(reco::Source::Term).budget = 0;
  const RankingMetrics vec = bench.evaluate(vectors_only, 50), pop = bench.evaluate(popular_only, 50);
  EXPECT_GT(pop.hit_rate, 0.2) << "popularity should be a real baseline on this data";
  EXPECT_GT(vec.ndcg, 1.2 * pop.ndcg) << "vectors " << vec.ndcg << " popularity " << pop.ndcg;
  EXPECT_GT(vec.hit_rate, pop.hit_rate);

  const BlendFit fit = fit_blend(bench, reco::BlendConfig{}, 50, false);
  EXPECT_GE(fit.best_metrics.ndcg, fit.tried.front().metrics.ndcg);
  EXPECT_GT(fit.best_metrics.ndcg, pop.ndcg);
}
