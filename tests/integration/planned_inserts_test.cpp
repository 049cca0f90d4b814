// Graph inserts planned on worker threads (serving/write_dispatch.hpp), through the wire.
//
// Several loader connections send RECO.ITEM.SET into a graph catalog at once, with deletes
// and queries mixed in, on a master with workers: the neighbour searches run on workers
// concurrently, and each is applied on the main thread only if no write since made it
// stale. What the test holds the server to: the replica (which applies the stream inline)
// and an AOF replay of the master's writes answer every KNN query exactly as the master
// does, and the planned path was the one taken (INFO reco).
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

constexpr std::size_t kDim = 12;
constexpr int kLoaders = 4;
constexpr int kPerLoader = 700;

std::string item(int loader, int i) { return "l" + std::to_string(loader) + ":" + std::to_string(i); }

long long info_count(RedisServer& srv, const std::string& field) {
  return std::stoll(srv.info("reco").at(field));
}

// Each loader pipelines its items in small batches; loader 0 also deletes some of its own
// earlier items (planned inserts made before a delete become stale).
void run_loaders(RedisServer& srv) {
  std::vector<std::thread> loaders;
  for (int l = 0; l < kLoaders; ++l) {
    loaders.emplace_back([&srv, l] {
      Client c = srv.client();
      std::mt19937_64 rng(100 + l);
      std::vector<Args> batch;
      for (int i = 0; i < kPerLoader; ++i) {
        batch.push_back({"RECO.ITEM.SET", "g", item(l, i), "FP32", fp32(random_vector(rng, kDim)),
                         "POPULARITY", std::to_string(rng() % 100)});
        if (l == 0 && i % 25 == 24) batch.push_back({"RECO.ITEM.DEL", "g", item(l, i - 10)});
        if (batch.size() >= 8) {
          for (const Reply& r : pipeline(c, batch)) ASSERT_FALSE(r.is_error()) << r.to_string();
          batch.clear();
        }
      }
      for (const Reply& r : pipeline(c, batch)) ASSERT_FALSE(r.is_error()) << r.to_string();
    });
  }
  // Queries meanwhile, so that plans also overlap running queries.
  std::thread reader([&srv] {
    Client c = srv.client();
    std::mt19937_64 rng(7);
    for (int i = 0; i < 300; ++i) {
      Reply r = c.cmd({"RECO.KNN", "g", "10", "FP32", fp32(random_vector(rng, kDim))});
      ASSERT_FALSE(r.is_error()) << r.to_string();
    }
  });
  for (auto& t : loaders) t.join();
  reader.join();
}

std::vector<Args> knn_queries() {
  std::mt19937_64 rng(99);
  std::vector<Args> q;
  for (int i = 0; i < 150; ++i)
    q.push_back({"RECO.KNN", "g", "40", "FP32", fp32(random_vector(rng, kDim)), "EF", "40", "WITHSCORES"});
  return q;
}

std::vector<std::string> answers(RedisServer& srv) {
  Client c = srv.client();
  std::vector<std::string> out;
  for (const Reply& r : pipeline(c, knn_queries(), 50)) {
    EXPECT_FALSE(r.is_error()) << r.to_string();
    out.push_back(r.to_string());
  }
  return out;
}

const ConfigLines kGraph{{"reco.threads", "2"}};
const Args kCreate{"RECO.CATALOG.CREATE", "g", "DIM", std::to_string(kDim), "METRIC", "L2",
                   "INDEX", "HNSW", "M", "8", "EF_CONSTRUCTION", "64"};

TEST(PlannedInserts, ConcurrentLoadersBuildTheReplicasGraph) {
  RedisServer master, replica;
  master.start(RECO_MODULE_PATH, kGraph);
  replica.start(RECO_MODULE_PATH, kGraph);
  replica.replica_of(master);
  wait_for_sync(master, replica);
  ASSERT_TRUE(master.cmd(kCreate).is_string());
  run_loaders(master);
  wait_for_sync(master, replica);

  const long long planned = info_count(master, "reco_writes_planned");
  const long long linked = info_count(master, "reco_graph_inserts_planned");
  const long long stale = info_count(master, "reco_graph_plans_stale");
  EXPECT_GE(planned, kLoaders * kPerLoader);
  EXPECT_GT(linked, planned / 2);  // most plans survive the writes before them
  EXPECT_GT(stale, 0);             // and concurrent loaders do make some stale
  // The replica applied every insert inline: no plans there.
  EXPECT_EQ(info_count(replica, "reco_writes_planned"), 0);
  EXPECT_EQ(master.cmd({"RECO.CATALOG.INFO", "g", "items"}).to_string(),
            replica.cmd({"RECO.CATALOG.INFO", "g", "items"}).to_string());
  EXPECT_EQ(answers(master), answers(replica));
}

TEST(PlannedInserts, AofReplayBuildsTheSameGraph) {
  RedisServer srv;
  // Commands only (no RDB preamble is written before the first rewrite): a restart replays
  // them inline, one by one.
  ConfigLines config = kGraph;
  config.push_back({"appendonly", "yes"});
  config.push_back({"appendfsync", "always"});
  config.push_back({"auto-aof-rewrite-percentage", "0"});
  srv.start(RECO_MODULE_PATH, config);
  ASSERT_TRUE(srv.cmd(kCreate).is_string());
  run_loaders(srv);
  EXPECT_GT(info_count(srv, "reco_graph_inserts_planned"), 0);

  const auto before = answers(srv);
  srv.restart();
  EXPECT_EQ(info_count(srv, "reco_writes_planned"), 0);  // the replay ran inline
  EXPECT_EQ(answers(srv), before);
}

}  // namespace
}  // namespace reco::test
