// Recall over the wire: RECO.KNN, RECO.SIMILAR (by the cosine) and the vector source of RECO.RECOMMEND
// against a brute-force reference computed here in double precision (2,000 random 32-dim
// items, IP and COSINE), and the filters: seen, EXCLUDE and SESSION items never come back,
// and a user who has seen 90% of the catalog still gets K unseen items.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

constexpr std::size_t kDim = 32;
constexpr std::size_t kItems = 2000;

std::string item(std::size_t i) { return "i" + std::to_string(i); }

struct Catalog {
  std::string name;
  RefMetric metric;
};

class Recall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    srv = new RedisServer();
    srv->start(RECO_MODULE_PATH);
    std::mt19937_64 rng(2024);
    vectors = new std::vector<std::vector<float>>();
    for (std::size_t i = 0; i < kItems; ++i) vectors->push_back(random_vector(rng, kDim));
    Client c = srv->client();
    std::vector<Args> cmds{{"RECO.CATALOG.CREATE", "ip", "DIM", std::to_string(kDim), "METRIC", "IP"},
                           {"RECO.CATALOG.CREATE", "cos", "DIM", std::to_string(kDim), "METRIC",
                            "COSINE"}};
    for (std::string cat : {"ip", "cos"})
      for (std::size_t i = 0; i < kItems; ++i)
        cmds.push_back({"RECO.ITEM.SET", cat, item(i), "FP32", fp32((*vectors)[i]), "POPULARITY",
                        std::to_string(i % 97), "TERMS", "1", "t" + std::to_string(i % 10)});
    load(c, cmds);
  }
  static void TearDownTestSuite() {
    delete srv;
    delete vectors;
  }

  static std::size_t index_of(const std::string& id) {
    EXPECT_EQ(id[0], 'i') << id;
    return std::stoul(id.substr(1));
  }

  // ids + scores of a WITHSCORES reply
  static std::vector<std::pair<std::string, double>> scored(const Reply& r) {
    EXPECT_TRUE(r.is_array()) << r.to_string();
    std::vector<std::pair<std::string, double>> out;
    if (!r.is_array()) return out;
    EXPECT_EQ(r.elements.size() % 2, 0u);
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
      out.emplace_back(r.elements[i].str, r.elements[i + 1].as_double());
    return out;
  }

  // The reply must be the reference top-k: same length, each position's score equal to
  // the reference's within float error, each id's own true score matching what was
  // reported (so ids may differ only where the reference itself ties).
  static void expect_exact(const std::vector<std::pair<std::string, double>>& got,
                           const std::vector<RefHit>& ref, RefMetric m,
                           const std::vector<float>& q, const std::string& what) {
    ASSERT_EQ(got.size(), ref.size()) << what;
    std::size_t same_ids = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      std::size_t idx = index_of(got[i].first);
      ASSERT_LT(idx, kItems);
      double truth = ref_score(m, q, (*vectors)[idx]);
      double tol = 1e-4 * std::max(1.0, std::fabs(truth));
      EXPECT_NEAR(got[i].second, truth, tol) << what << " pos " << i;
      EXPECT_NEAR(got[i].second, ref[i].score, tol) << what << " pos " << i;
      same_ids += idx == ref[i].index;
    }
    // Random float data has no exact ties: practically every id must agree.
    EXPECT_GE(same_ids + 1, got.size()) << what;
  }

  static RedisServer* srv;
  static std::vector<std::vector<float>>* vectors;
};
RedisServer* Recall::srv = nullptr;
std::vector<std::vector<float>>* Recall::vectors = nullptr;

const Catalog kCatalogs[] = {{"ip", RefMetric::IP}, {"cos", RefMetric::Cosine}};

TEST_F(Recall, KnnIsExact) {
  Client c = srv->client();
  std::mt19937_64 rng(1);
  for (const auto& cat : kCatalogs) {
    for (int qi = 0; qi < 10; ++qi) {
      auto q = random_vector(rng, kDim);
      for (std::size_t k : {1, 10, 100}) {
        Args cmd{"RECO.KNN", cat.name, std::to_string(k)};
        // Alternate the two vector syntaxes.
        cmd = concat(cmd, qi % 2 ? values_args(q) : Args{"FP32", fp32(q)});
        cmd.push_back("WITHSCORES");
        auto got = scored(c.cmd(cmd));
        auto ref = brute_force(cat.metric, q, *vectors, [](std::size_t) { return true; }, k);
        expect_exact(got, ref, cat.metric, q, cat.name + " knn k=" + std::to_string(k));
      }
    }
  }
}

TEST_F(Recall, KnnExclude) {
  Client c = srv->client();
  std::mt19937_64 rng(2);
  auto q = random_vector(rng, kDim);
  auto top = brute_force(RefMetric::IP, q, *vectors, [](std::size_t) { return true; }, 5);
  std::set<std::size_t> banned;
  Args cmd{"RECO.KNN", "ip", "10", "FP32", fp32(q), "EXCLUDE", "6"};
  for (auto& h : top) {
    banned.insert(h.index);
    cmd.push_back(item(h.index));
  }
  cmd.push_back("no-such-item");
  cmd.push_back("WITHSCORES");
  auto got = scored(c.cmd(cmd));
  auto ref = brute_force(RefMetric::IP, q, *vectors, [&](std::size_t i) { return !banned.count(i); }, 10);
  expect_exact(got, ref, RefMetric::IP, q, "knn exclude");
}

TEST_F(Recall, SimilarIsExact) {
  Client c = srv->client();
  for (const auto& cat : kCatalogs) {
    for (std::size_t i : {0, 17, 999, 1999}) {
      // Item-to-item scores are cosines in IP catalogs too (README: Item-to-item scores).
      auto got = scored(c.cmd({"RECO.SIMILAR", cat.name, item(i), "20", "WITHSCORES"}));
      auto ref = brute_force(RefMetric::Cosine, (*vectors)[i], *vectors,
                             [&](std::size_t j) { return j != i; }, 20);
      expect_exact(got, ref, RefMetric::Cosine, (*vectors)[i], cat.name + " similar " + item(i));
      for (auto& [id, s] : got) EXPECT_NE(id, item(i));
    }
  }
}

TEST_F(Recall, RecommendVectorSourceIsExact) {
  // Only the vector source: the order is the vector order, scored by the blend
  // weight * (1 - rank / budget).
  Client c = srv->client();
  std::mt19937_64 rng(3);
  for (const auto& cat : kCatalogs) {
    auto u = random_vector(rng, kDim);
    std::string key = "user:" + cat.name;
    ASSERT_FALSE(c.cmd({"RECO.USER.SET", key, "FP32", fp32(u)}).is_error());
    Reply r = c.cmd({"RECO.RECOMMEND", cat.name, key, "50", "BUDGET", "TERM", "0", "BUDGET",
                     "SESSION", "0", "BUDGET", "POPULAR", "0", "BUDGET", "VECTOR", "80",
                     "WEIGHT", "VECTOR", "2", "WITHSCORES"});
    auto got = scored(r);
    auto ref = brute_force(cat.metric, u, *vectors, [](std::size_t) { return true; }, 50);
    ASSERT_EQ(got.size(), 50u) << r.to_string();
    std::size_t same = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      same += index_of(got[i].first) == ref[i].index;
      EXPECT_NEAR(got[i].second, 2.0 * (1.0 - double(i) / 80.0), 1e-9) << i;
    }
    EXPECT_GE(same + 1, got.size()) << cat.name;
  }
}

TEST_F(Recall, SeenNinetyPercentStillGetsKUnseen) {
  Client c = srv->client();
  std::mt19937_64 rng(4);
  for (const auto& cat : kCatalogs) {
    auto u = random_vector(rng, kDim);
    std::string key = "heavy:" + cat.name;
    // Seen: the 1,800 items nearest to the user's own vector — the worst case for any
    // filter applied after a bounded search.
    auto nearest = brute_force(cat.metric, u, *vectors, [](std::size_t) { return true; }, 1800);
    std::set<std::size_t> seen;
    Args add{"RECO.USER.SEEN.ADD", key};
    for (auto& h : nearest) {
      seen.insert(h.index);
      add.push_back(item(h.index));
    }
    ASSERT_EQ(c.cmd(add).integer, 1800);
    ASSERT_FALSE(c.cmd({"RECO.USER.SET", key, "FP32", fp32(u)}).is_error());
    auto unseen = [&](std::size_t i) { return !seen.count(i); };

    // Vector source alone: the best unseen items, exactly.
    auto got = scored(c.cmd({"RECO.RECOMMEND", cat.name, key, "50", "BUDGET", "TERM", "0",
                             "BUDGET", "SESSION", "0", "BUDGET", "POPULAR", "0", "WITHSCORES"}));
    auto ref = brute_force(cat.metric, u, *vectors, unseen, 50);
    ASSERT_EQ(got.size(), 50u) << cat.name;
    std::size_t same = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_FALSE(seen.count(index_of(got[i].first))) << "seen item returned: " << got[i].first;
      same += index_of(got[i].first) == ref[i].index;
    }
    EXPECT_GE(same + 1, got.size());

    // Default sources, K = 150: still only unseen, and all 150 of them.
    Reply all = c.cmd({"RECO.RECOMMEND", cat.name, key, "150"});
    ASSERT_TRUE(all.is_array()) << all.to_string();
    auto ids = all.strings();
    EXPECT_EQ(ids.size(), 150u);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "duplicates";
    for (auto& id : ids) EXPECT_FALSE(seen.count(index_of(id))) << "seen item returned: " << id;

    // K beyond what is left: exactly the 200 unseen items.
    Reply rest = c.cmd({"RECO.RECOMMEND", cat.name, key, "1000"});
    ASSERT_TRUE(rest.is_array());
    auto rest_ids = rest.strings();
    std::set<std::string> want;
    for (std::size_t i = 0; i < kItems; ++i)
      if (!seen.count(i)) want.insert(item(i));
    EXPECT_EQ(std::set<std::string>(rest_ids.begin(), rest_ids.end()), want);
    EXPECT_EQ(rest_ids.size(), want.size());
  }
}

TEST_F(Recall, ExcludeAndSessionNeverReturned) {
  Client c = srv->client();
  std::mt19937_64 rng(5);
  for (const auto& cat : kCatalogs) {
    auto u = random_vector(rng, kDim);
    std::string key = "browsing:" + cat.name;
    ASSERT_FALSE(c.cmd({"RECO.USER.SET", key, "FP32", fp32(u), "TERMS", "2", "t3", "1", "t4",
                        "0.5", "SEEN", "3", "i1", "i2", "i3"})
                     .is_error());
    // Exclude the user's own best 20 and the most popular items; browse 5 items whose
    // neighbours would otherwise be recalled by the session source.
    auto best = brute_force(cat.metric, u, *vectors, [](std::size_t) { return true; }, 20);
    std::set<std::string> banned{"i1", "i2", "i3"};
    Args exclude{"EXCLUDE", "0"};
    for (auto& h : best) exclude.push_back(item(h.index));
    for (std::size_t i = 96; i < kItems; i += 97) exclude.push_back(item(i));  // popularity 96
    exclude[1] = std::to_string(exclude.size() - 2);
    Args session{"SESSION", "5", "i500", "i501", "i502", "i503", "i504"};
    for (std::size_t j = 2; j < exclude.size(); ++j) banned.insert(exclude[j]);
    for (std::size_t j = 2; j < session.size(); ++j) banned.insert(session[j]);
    for (std::size_t k : {10, 100, 500}) {
      Args cmd = concat(concat({"RECO.RECOMMEND", cat.name, key, std::to_string(k)}, session),
                        exclude);
      Reply r = c.cmd(cmd);
      ASSERT_TRUE(r.is_array()) << r.to_string();
      auto ids = r.strings();
      EXPECT_EQ(ids.size(), k);
      for (auto& id : ids) EXPECT_FALSE(banned.count(id)) << "filtered item returned: " << id;
    }
    // The session source contributes: with only it enabled and one browsed item, the
    // result is that item's nearest neighbours (never the item, never what was seen).
    Args only_session{"RECO.RECOMMEND", cat.name, key, "20", "BUDGET", "VECTOR", "0",
                      "BUDGET", "TERM", "0", "BUDGET", "POPULAR", "0", "SESSION", "1", "i504",
                      "WITHSCORES"};
    auto got = scored(c.cmd(only_session));
    // (item-to-item: by the cosine, whatever the catalog's metric)
    auto ref = brute_force(RefMetric::Cosine, (*vectors)[504], *vectors,
                           [](std::size_t j) { return j != 504 && j != 1 && j != 2 && j != 3; },
                           20);
    ASSERT_EQ(got.size(), 20u);
    std::size_t same = 0;
    for (std::size_t i = 0; i < got.size(); ++i) same += index_of(got[i].first) == ref[i].index;
    EXPECT_GE(same + 1, got.size()) << cat.name << " session neighbours";
  }
}

}  // namespace
}  // namespace reco::test
