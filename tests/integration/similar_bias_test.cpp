// BIAS_DIM on a live server: RECO.SIMILAR and the SESSION source score by the cosine over
// the non-bias dimensions, so items with a large bias are not the neighbours of an
// unrelated item (RECO.KNN with the item's own vector, the old SIMILAR, shows that they
// would be); the option is validated (a refused CREATE or SET changes nothing), reported by
// CONFIG GET and CATALOG.INFO, survives DEBUG RELOAD, an AOF replay and an AOF rewrite, and
// reaches replicas by full sync and by the command stream.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

// dim 3: two taste dimensions and a bias in the last. a*: taste along x; b*: along y;
// p*: "blockbusters", taste between the two, bias 8 (every item has some bias: 1 here).
std::vector<Args> planted(const Args& create_options) {
  std::vector<Args> cmds = {concat({"RECO.CATALOG.CREATE", "c", "DIM", "3", "METRIC", "IP"}, create_options)};
  for (int i = 0; i < 5; ++i) {
    const std::string s = std::to_string(0.05 * i);
    cmds.push_back({"RECO.ITEM.SET", "c", "a" + std::to_string(i), "VALUES", "3", "1", s, "1", "POPULARITY", "1"});
    cmds.push_back({"RECO.ITEM.SET", "c", "b" + std::to_string(i), "VALUES", "3", s, "1", "1", "POPULARITY", "1"});
  }
  for (int i = 0; i < 3; ++i)
    cmds.push_back({"RECO.ITEM.SET", "c", "p" + std::to_string(i), "VALUES", "3", "0.6", "0.6", "8", "POPULARITY",
                    std::to_string(1000 + i)});
  return cmds;
}

std::size_t starting_with(const std::vector<std::string>& ids, char c) {
  std::size_t n = 0;
  for (const auto& id : ids) n += !id.empty() && id[0] == c;
  return n;
}

class SimilarBias : public ::testing::Test {
 protected:
  void SetUp() override { srv.start(RECO_MODULE_PATH); }
  void load_planted(const Args& create_options = {"BIAS_DIM", "LAST"}) {
    Client c = srv.client();
    load(c, planted(create_options));
  }
  std::vector<std::string> similar(const std::string& item, int k = 4) {
    return srv.cmd({"RECO.SIMILAR", "c", item, std::to_string(k)}).strings();
  }
  std::string config() { return srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string(); }
  long long version() { return srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["version"].as_integer(); }

  RedisServer srv;
};

TEST_F(SimilarBias, NeighboursFollowTheTasteDirectionsNotTheBias) {
  load_planted();
  // The old behaviour (inner product with the bias): the blockbusters come first.
  auto old = srv.cmd({"RECO.KNN", "c", "4", "VALUES", "3", "1", "0", "1", "EXCLUDE", "1", "a0"}).strings();
  EXPECT_EQ(starting_with(old, 'p'), 3u) << "the planted data must show the problem";
  auto a = similar("a0");
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(starting_with(a, 'a'), 4u);
  EXPECT_EQ(starting_with(similar("b2"), 'b'), 4u);
  EXPECT_EQ(starting_with(similar("p0", 2), 'p'), 2u);
  // Scores are cosines over x and y.
  auto scored = srv.cmd({"RECO.SIMILAR", "c", "a0", "1", "WITHSCORES"}).strings();
  ASSERT_EQ(scored.size(), 2u);
  EXPECT_EQ(scored[0], "a1");
  EXPECT_NEAR(std::stod(scored[1]), 1.0 / std::sqrt(1.0 + 0.05 * 0.05), 1e-5);
  // The session source of a cold user: the same directions.
  auto rec = srv.cmd({"RECO.RECOMMEND", "c", "nobody", "4", "SESSION", "2", "b0", "b1", "BUDGET", "POPULAR",
                      "0"}).strings();
  ASSERT_EQ(rec.size(), 4u);
  rec.resize(3);  // three b items remain besides the session: they come first
  EXPECT_EQ(starting_with(rec, 'b'), 3u);
}

TEST_F(SimilarBias, ReportedAndSettable) {
  load_planted({});
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "BIAS_DIM"}).strings(),
            (std::vector<std::string>{"BIAS_DIM", "NONE"}));
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["bias_dim"].str, "NONE");
  const long long v0 = version();
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "bias_dim", "last"}).str, "OK");
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "BIAS_DIM"}).as_map()["BIAS_DIM"].as_integer(), 2);
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["bias_dim"].as_integer(), 2);
  EXPECT_EQ(config().find("BIAS_DIM") != std::string::npos, true) << "GET with no name lists it";
  EXPECT_EQ(version(), v0 + 1);
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "2"}).str, "OK");
  EXPECT_EQ(version(), v0 + 1) << "the same value again is no change";
  EXPECT_EQ(starting_with(similar("a0"), 'a'), 4u);
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "0"}).str, "OK");
  // With x called the bias, a0 is (0, 1) over (y, bias): nearest to the b items' direction
  // mix; at least it no longer answers with its own cluster only.
  EXPECT_LT(starting_with(similar("a0"), 'a'), 4u);
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "NONE"}).str, "OK");
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["bias_dim"].str, "NONE");
}

TEST_F(SimilarBias, BadValuesAreRefusedAndChangeNothing) {
  for (const Args& a : std::vector<Args>{{"RECO.CATALOG.CREATE", "x", "DIM", "3", "BIAS_DIM", "3"},
                                         {"RECO.CATALOG.CREATE", "x", "DIM", "3", "BIAS_DIM", "-1"},
                                         {"RECO.CATALOG.CREATE", "x", "DIM", "3", "BIAS_DIM", "first"},
                                         {"RECO.CATALOG.CREATE", "x", "DIM", "1", "BIAS_DIM", "LAST"},
                                         {"RECO.CATALOG.CREATE", "x", "DIM", "3", "BIAS_DIM"},
                                         {"RECO.CATALOG.CREATE", "x", "BIAS_DIM", "2", "DIM", "2"},
                                         {"RECO.CATALOG.CREATE", "x", "DIM", "3", "BIAS_DIM", "1", "BIAS_DIM", "2"}}) {
    Reply r = srv.cmd(a);
    EXPECT_TRUE(r.is_error()) << a.back();
  }
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "x", "DIM", "3", "BIAS_DIM", "3"}).str,
            "ERR BIAS_DIM must be LAST, NONE or an integer between 0 and 2");
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "x", "DIM", "1", "BIAS_DIM", "LAST"}).str,
            "ERR BIAS_DIM needs a catalog of at least 2 dimensions");
  EXPECT_TRUE(srv.cmd({"RECO.CATALOG.LIST"}).strings().empty()) << "no refused CREATE made a catalog";
  // BIAS_DIM NONE on a one-dimensional catalog is fine.
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "one", "DIM", "1", "BIAS_DIM", "NONE"}).str, "OK");

  load_planted();
  const std::string before = config();
  const long long v = version();
  for (const Args& a : std::vector<Args>{{"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "3"},
                                         {"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "1.5"},
                                         {"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "2", "BIAS_DIM", "x"},
                                         {"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "NONE", "WEIGHT.TERM", "-1"},
                                         {"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "0", "BIAS_DIM", "1"}}) {
    Reply r = srv.cmd(a);
    EXPECT_TRUE(r.is_error()) << a[4] << " " << a[5];
  }
  EXPECT_EQ(config(), before);
  EXPECT_EQ(version(), v);
}

TEST_F(SimilarBias, SurvivesReloadAndReplicates) {
  load_planted();
  const std::string before = config();
  const auto a = similar("a0"), b = similar("b3");
  ASSERT_EQ(srv.cmd({"DEBUG", "RELOAD"}).str, "OK");
  EXPECT_EQ(config(), before);
  EXPECT_EQ(similar("a0"), a);
  EXPECT_EQ(similar("b3"), b);

  RedisServer replica;
  replica.start(RECO_MODULE_PATH);
  replica.replica_of(srv);
  wait_for_sync(srv, replica);  // full sync: the catalog travels in the RDB
  EXPECT_EQ(replica.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string(), before);
  EXPECT_EQ(replica.cmd({"RECO.SIMILAR", "c", "a0", "4"}).strings(), a);
  // The command stream: a SET and a new catalog created with the option.
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "NONE"}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "d", "DIM", "4", "BIAS_DIM", "1"}).str, "OK");
  wait_for_sync(srv, replica);
  EXPECT_EQ(replica.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "BIAS_DIM"}).to_string(),
            srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "BIAS_DIM"}).to_string());
  EXPECT_EQ(replica.cmd({"RECO.CATALOG.INFO", "d"}).as_map()["bias_dim"].as_integer(), 1);
  EXPECT_EQ(replica.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["version"].as_integer(), version());
}

TEST(SimilarBiasAof, ReplayAndRewriteKeepIt) {
  RedisServer srv;
  srv.start(RECO_MODULE_PATH, {{"appendonly", "yes"}, {"aof-use-rdb-preamble", "yes"}});
  {
    Client c = srv.client();
    load(c, planted({}));
  }
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "BIAS_DIM", "LAST"}).str, "OK");
  const std::string before = srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string();
  const auto a = srv.cmd({"RECO.SIMILAR", "c", "a0", "4"}).strings();
  // Replayed from the AOF's commands.
  srv.restart();
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string(), before);
  EXPECT_EQ(srv.cmd({"RECO.SIMILAR", "c", "a0", "4"}).strings(), a);
  // Rewritten: the catalog goes into the RDB preamble.
  ASSERT_FALSE(srv.cmd({"BGREWRITEAOF"}).is_error());
  wait_until(
      [&] {
        auto p = srv.info("persistence");
        return p["aof_rewrite_in_progress"] == "0" && p["aof_rewrite_scheduled"] == "0";
      },
      std::chrono::seconds(20), "AOF rewrite");
  srv.restart();
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string(), before);
  EXPECT_EQ(srv.cmd({"RECO.SIMILAR", "c", "a0", "4"}).strings(), a);
}

}  // namespace
}  // namespace reco::test
