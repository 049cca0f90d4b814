// INFO reco's index counters: reco_graph_exact_fallbacks (a graph search answered by an exact
// scan because the filter left few items), reco_graph_sweeps (deleted nodes swept out of the
// graph), reco_popular_resorts (full re-sorts of the popular order); all since the catalogs
// were built or loaded.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

TEST(IndexCounters, FallbacksSweepsAndResortsAreCounted) {
  RedisServer srv;
  srv.start(RECO_MODULE_PATH);
  Client c = srv.client();
  std::vector<Args> cmds{{"RECO.CATALOG.CREATE", "g", "DIM", "2", "METRIC", "L2", "INDEX", "HNSW"}};
  for (int i = 0; i < 500; ++i)
    cmds.push_back({"RECO.ITEM.SET", "g", "i" + std::to_string(i), "VALUES", "2", text(0.01f * i), text(0.5f),
                    "TERMS", "1", "t" + std::to_string(i % 50), "POPULARITY", std::to_string(i % 9)});
  load(c, cmds);
  auto field = [&](const std::string& name) { return std::stoll(srv.info("reco")["reco_" + name]); };
  EXPECT_EQ(field("graph_exact_fallbacks"), 0);
  EXPECT_EQ(field("graph_sweeps"), 0);
  // 10 of 500 items carry t3: the graph hands the query to an exact scan of them.
  Reply knn = srv.cmd({"RECO.KNN", "g", "5", "VALUES", "2", "1", "0.5", "HASTERM", "1", "t3"});
  ASSERT_TRUE(knn.is_array()) << knn.to_string();
  EXPECT_EQ(knn.elements.size(), 5u);
  EXPECT_EQ(field("graph_exact_fallbacks"), 1);
  srv.cmd({"RECO.KNN", "g", "5", "VALUES", "2", "1", "0.5"});  // no filter: a graph walk
  EXPECT_EQ(field("graph_exact_fallbacks"), 1);
  // 100 deletes: tombstones pass the sweep threshold (64, and 1/16 of the live items).
  Args del{"RECO.ITEM.DEL", "g"};
  for (int i = 0; i < 100; ++i) del.push_back("i" + std::to_string(i));
  ASSERT_EQ(srv.cmd(del).integer, 100);
  EXPECT_GE(field("graph_sweeps"), 1);
  // A reload builds new catalogs: the counters start again, with the load's own sort.
  ASSERT_EQ(srv.cmd({"DEBUG", "RELOAD"}).str, "OK");
  EXPECT_EQ(field("graph_exact_fallbacks"), 0);
  EXPECT_EQ(field("graph_sweeps"), 0);
  EXPECT_EQ(field("popular_resorts"), 1);
}

}  // namespace
}  // namespace reco::test
