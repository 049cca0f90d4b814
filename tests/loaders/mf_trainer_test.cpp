// The factorization: AUC itself on hand-made cases; on planted data the test
// AUC is well above chance and beats item popularity; the same seed gives
// bit-identical factors and another seed different ones.
#include <gtest/gtest.h>

#include <unordered_map>

#include "reco_offline/auc.hpp"
#include "reco_offline/mf_trainer.hpp"
#include "reco_offline/synthetic.hpp"
#include "reco_offline/time_split.hpp"

using namespace reco_offline;

TEST(RocAuc, HandMadeCases) {
  EXPECT_DOUBLE_EQ(roc_auc({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.9f, 0.8f, 0.2f, 0.1f}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 1}), 0.5);
  // One of the four positive/negative pairs is misordered.
  EXPECT_DOUBLE_EQ(roc_auc({0.1f, 0.6f, 0.5f, 0.9f}, {0, 0, 1, 1}), 0.75);
  // A tie between a positive and a negative counts half.
  EXPECT_DOUBLE_EQ(roc_auc({0.1f, 0.5f, 0.5f}, {0, 0, 1}), 0.75);
  EXPECT_DOUBLE_EQ(roc_auc({0.3f, 0.4f}, {1, 1}), 0.5);
  EXPECT_THROW(roc_auc({0.3f}, {1, 0}), std::invalid_argument);
}

class Planted : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SyntheticConfig c;
    c.users = 800;
    c.items = 600;
    c.ratings = 80000;
    c.seed = 3;
    split = new TimeSplit(split_by_time(generate_synthetic(c).ratings, {}));
  }
  static void TearDownTestSuite() { delete split; }
  static MfConfig config() {
    MfConfig m;
    m.dim = 8;
    m.epochs = 8;
    return m;
  }
  static TimeSplit* split;
};
TimeSplit* Planted::split = nullptr;

TEST_F(Planted, TestAucWellAboveChanceAndAbovePopularity) {
  std::vector<EpochReport> reports;
  const MfModel m = train_mf(split->train, split->test, config(), [&](const EpochReport& r) { reports.push_back(r); });
  ASSERT_EQ(reports.size(), 8u);
  EXPECT_GT(reports.back().test_auc, 0.72);
  EXPECT_GT(reports.back().train_auc, reports.front().train_auc);
  EXPECT_LT(reports.back().loss, reports.front().loss);
  EXPECT_DOUBLE_EQ(rating_auc(m, split->test), reports.back().test_auc);

  std::unordered_map<Id, float> count;
  for (const auto& r : split->train) count[r.item] += 1;
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  for (const auto& r : split->test) {
    scores.push_back(count[r.item]);
    labels.push_back(is_positive(r));
  }
  EXPECT_GT(reports.back().test_auc, roc_auc(scores, labels) + 0.1);
}

TEST_F(Planted, SameSeedSameFactorsOtherSeedOthers) {
  MfConfig c = config();
  c.epochs = 3;
  const MfModel a = train_mf(split->train, split->test, c);
  const MfModel b = train_mf(split->train, split->test, c);
  ASSERT_EQ(a.users.rows(), b.users.rows());
  EXPECT_TRUE((a.users.array() == b.users.array()).all());
  EXPECT_TRUE((a.items.array() == b.items.array()).all());
  EXPECT_EQ(a.bias, b.bias);
  c.seed += 1;
  const MfModel other = train_mf(split->train, split->test, c);
  EXPECT_FALSE((a.items.array() == other.items.array()).all());
}

TEST_F(Planted, RowsCoverTrainAndTestIdsAndCountTrainingRatings) {
  MfConfig c = config();
  c.epochs = 1;
  const MfModel m = train_mf(split->train, split->test, c);
  EXPECT_TRUE(std::is_sorted(m.user_ids.begin(), m.user_ids.end()));
  uint64_t total = 0;
  for (auto n : m.item_train_count) total += n;
  EXPECT_EQ(total, split->train.size());
  EXPECT_EQ(m.users.cols(), 8);
}

TEST(MfTrainer, RejectsBadConfig) {
  MfConfig c;
  c.dim = 0;
  EXPECT_THROW(train_mf({}, {}, c), std::invalid_argument);
  c = MfConfig{};
  c.learning_rate = 0;
  EXPECT_THROW(train_mf({}, {}, c), std::invalid_argument);
}
