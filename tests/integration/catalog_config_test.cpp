// RECO.CATALOG.CONFIG: a catalog's blend and query-time index settings. SET is all or
// nothing, changes what RECO.RECOMMEND serves by default (a request's BUDGET/WEIGHT still
// override it), survives DEBUG RELOAD, reaches replicas, and is refused on a replica.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

class CatalogConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    srv.start(RECO_MODULE_PATH);
    Client c = srv.client();
    // a: nearest to the user's vector, unpopular; z: far, most popular, carries the term.
    load(c, {{"RECO.CATALOG.CREATE", "c", "DIM", "2", "METRIC", "IP"},
             {"RECO.ITEM.SET", "c", "a", "VALUES", "2", "1", "0", "POPULARITY", "1"},
             {"RECO.ITEM.SET", "c", "b", "VALUES", "2", "0.8", "0.2", "POPULARITY", "2"},
             {"RECO.ITEM.SET", "c", "z", "VALUES", "2", "0", "1", "POPULARITY", "100", "TERMS", "1", "t"},
             {"RECO.USER.SET", "u", "VALUES", "2", "1", "0", "TERMS", "1", "t", "1"}});
  }

  std::vector<std::string> top(const Args& extra = {}) {
    return srv.cmd(concat({"RECO.RECOMMEND", "c", "u", "3"}, extra)).strings();
  }
  std::map<std::string, Reply> get() { return srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).as_map(); }

  RedisServer srv;
};

TEST_F(CatalogConfig, GetListsEveryParameterWithItsDefault) {
  auto m = get();
  EXPECT_EQ(m["BUDGET.VECTOR"].as_double(), 200);
  EXPECT_EQ(m["WEIGHT.TERM"].as_double(), 0.5);
  EXPECT_EQ(m["BUDGET.POPULAR"].as_double(), -1);
  EXPECT_EQ(m["POPULARITY"].as_double(), 0);
  EXPECT_EQ(m["EF_RUNTIME"].as_integer(), 0);
  EXPECT_EQ(m["EXACT_BELOW"].as_integer(), 20000);
  auto one = srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "weight.vector"});
  EXPECT_EQ(one.to_string(), srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "WEIGHT.VECTOR"}).to_string());
  EXPECT_EQ(one.elements.size(), 2u);
}

TEST_F(CatalogConfig, SetChangesTheDefaultOrderAndRequestsStillOverride) {
  // Default blend: z is recalled by all three sources and wins.
  EXPECT_EQ(top().front(), "z");
  // The vector order alone: a, b, z.
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "0", "WEIGHT.POPULAR", "0"}).str, "OK");
  EXPECT_EQ(top(), (std::vector<std::string>{"a", "b", "z"}));
  // The request's own settings win for that request only.
  EXPECT_EQ(top({"WEIGHT", "TERM", "5"}).front(), "z");
  EXPECT_EQ(top().front(), "a");
  // The popularity term lifts z whichever source recalled it.
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "POPULARITY", "50"}).str, "OK");
  EXPECT_EQ(top().front(), "z");
}

TEST_F(CatalogConfig, BadSetChangesNothing) {
  std::string before = srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string();
  long long version = srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["version"].as_integer();
  for (const Args& a : std::vector<Args>{
           {"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.VECTOR", "2", "WEIGHT.TERM", "nan"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.VECTOR", "2", "NO.SUCH", "1"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.VECTOR", "-1"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "BUDGET.TERM", "1.5"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "BUDGET.TERM", "100001"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.VECTOR", "2", "EF_RUNTIME", "x"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "EF_RUNTIME", "100001"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.VECTOR"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.VECTOR", "1", "WEIGHT.VECTOR", "2"},
           {"RECO.CATALOG.CONFIG", "SET", "c"},
           {"RECO.CATALOG.CONFIG", "PUT", "c", "WEIGHT.VECTOR", "1"},
           {"RECO.CATALOG.CONFIG", "GET", "c", "NO.SUCH"},
           {"RECO.CATALOG.CONFIG", "GET", "nope"},
       }) {
    Reply r = srv.cmd(a);
    EXPECT_TRUE(r.is_error()) << join(a) << " -> " << r.to_string();
  }
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string(), before);
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["version"].as_integer(), version);
}

TEST_F(CatalogConfig, PersistsAndReplicates) {
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "3", "RECENCY.HALFLIFE", "30",
                     "EF_RUNTIME", "90", "EXACT_BELOW", "5"})
                .str,
            "OK");
  std::string before = srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string();
  auto order = top();
  ASSERT_EQ(srv.cmd({"DEBUG", "RELOAD"}).str, "OK");
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string(), before);
  EXPECT_EQ(top(), order);
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["index_ef_runtime"].as_integer(), 90);

  RedisServer replica;
  replica.start(RECO_MODULE_PATH);
  replica.replica_of(srv);
  wait_for_sync(srv, replica);
  EXPECT_EQ(replica.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string(), before);
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "0.25"}).str, "OK");
  wait_for_sync(srv, replica);
  EXPECT_EQ(replica.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "WEIGHT.TERM"}).to_string(),
            srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "WEIGHT.TERM"}).to_string());
  Reply refused = replica.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "9"});
  ASSERT_TRUE(refused.is_error());
  EXPECT_EQ(refused.str.rfind("READONLY", 0), 0u) << refused.str;
}

}  // namespace
}  // namespace reco::test
