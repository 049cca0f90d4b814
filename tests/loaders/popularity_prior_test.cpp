// The popularity prior: the extended vectors' inner product is exactly the
// factors' inner product plus alpha * log(1 + popularity), and the choice of
// alpha on the test part prefers some prior when watching is popularity-driven.
#include <gtest/gtest.h>

#include <cmath>

#include "reco_offline/popularity_prior.hpp"
#include "reco_offline/synthetic.hpp"
#include "reco_offline/time_split.hpp"

using namespace reco_offline;

TEST(PopularityPrior, InnerProductGainsTheLogPopularityTerm) {
  FactorTable users, items;
  users.ids = {"u1", "u2"};
  users.vectors.resize(2, 3);
  users.vectors << 0.1f, 0.2f, 0.3f, -0.5f, 0.4f, 0.0f;
  items.ids = {"a", "b", "c"};
  items.vectors.resize(3, 3);
  items.vectors << 0.3f, -0.1f, 0.2f, 1.0f, 0.5f, -0.2f, 0.0f, 0.0f, 0.7f;
  const FactorTable u0 = users, i0 = items;
  const std::unordered_map<std::string, double> pop = {{"a", 10}, {"b", 1000}};  // c: unknown -> 0
  const double alpha = 1.5;
  append_popularity_prior(users, items, pop, alpha);
  ASSERT_EQ(users.vectors.cols(), 4);
  ASSERT_EQ(items.vectors.cols(), 4);
  for (Eigen::Index u = 0; u < 2; ++u) {
    for (Eigen::Index i = 0; i < 3; ++i) {
      const double p = pop.count(items.ids[i]) ? pop.at(items.ids[i]) : 0.0;
      const double expected = u0.vectors.row(u).dot(i0.vectors.row(i)) + alpha * std::log1p(p);
      EXPECT_NEAR(users.vectors.row(u).dot(items.vectors.row(i)), expected, 1e-5);
    }
  }
}

TEST(PopularityPrior, ChoiceUsesTheTestPart) {
  SyntheticConfig c;
  c.users = 300;
  c.items = 400;
  c.ratings = 30000;
  const TimeSplit s = split_by_time(generate_synthetic(c).ratings, {});
  MfConfig m;
  m.dim = 8;
  m.epochs = 4;
  const MfModel model = train_mf(s.train, s.test, m);
  const PriorChoice choice = choose_popularity_prior(model, s.train, s.test, {0, 1, 2});
  ASSERT_EQ(choice.tried.size(), 3u);
  // Labels-only factors know what users like, not what they watch: some prior helps.
  EXPECT_GT(choice.alpha, 0);
  EXPECT_GT(choice.tried[static_cast<size_t>(choice.alpha)].second, choice.tried[0].second);
}
