// RECO.CATALOG.INFO's digest through live servers: two nodes loaded in another order, with
// re-sent items, show the same digest and different versions; a model on one node only, a
// blend setting, a deleted item make them differ until they agree again; a replica shows
// its master's digest after a full sync and after the command stream; a restart (RDB)
// keeps it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "model_file.hpp"
#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

std::vector<Args> items() {
  std::vector<Args> out;
  for (int i = 0; i < 200; ++i) {
    const std::string id = "i" + std::to_string(i);
    out.push_back({"RECO.ITEM.SET", "c", id, "VALUES", "2", text(0.01f * i), text(1 - 0.005f * i), "TERMS", "2",
                   i % 2 ? "Action" : "Drama", i % 3 ? "Comedy" : "Noir", "POPULARITY", std::to_string(i % 7),
                   "TIME", std::to_string(1000 + i)});
  }
  return out;
}

std::string field(RedisServer& s, const std::string& name) {
  Reply r = s.cmd({"RECO.CATALOG.INFO", "c"}).as_map()[name];
  return r.is_string() ? r.str : r.to_string();
}

class Digest : public ::testing::Test {
 protected:
  void SetUp() override {
    a.start(RECO_MODULE_PATH);
    b.start(RECO_MODULE_PATH);
    for (RedisServer* s : {&a, &b}) ASSERT_EQ(s->cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2", "METRIC", "IP"}).str, "OK");
    auto data = items();
    Client ca = a.client(), cb = b.client();
    load(ca, data);
    std::reverse(data.begin(), data.end());
    load(cb, data);
    load(cb, std::vector<Args>(data.begin(), data.begin() + 20));  // re-sent
  }
  RedisServer a, b;
};

TEST_F(Digest, SameContentsSameDigestWhateverTheOrder) {
  const std::string d = field(a, "digest");
  EXPECT_EQ(d.size(), 32u) << d;
  EXPECT_EQ(field(b, "digest"), d);
  EXPECT_NE(field(a, "version"), field(b, "version"));
  // The same request answers the same on both.
  Args q{"RECO.KNN", "c", "20", "VALUES", "2", "1", "0.5", "WITHSCORES"};
  EXPECT_EQ(a.cmd(q).to_string(), b.cmd(q).to_string());
}

TEST_F(Digest, DiffersUntilTheNodesAgreeAgain) {
  const std::string d0 = field(a, "digest");
  TestModel v1(1, false);
  ASSERT_EQ(a.cmd({"RECO.MODEL.PUT", "c", "v1", v1.bytes()}).str, "OK");
  EXPECT_NE(field(a, "digest"), field(b, "digest"));
  ASSERT_EQ(b.cmd({"RECO.MODEL.PUT", "c", "v1", v1.bytes()}).str, "OK");
  EXPECT_EQ(field(a, "digest"), field(b, "digest"));
  ASSERT_EQ(a.cmd({"RECO.MODEL.ACTIVATE", "c", "v1"}).str, "OK");
  EXPECT_NE(field(a, "digest"), field(b, "digest"));
  ASSERT_EQ(b.cmd({"RECO.MODEL.ACTIVATE", "c", "v1"}).str, "OK");
  EXPECT_EQ(field(a, "digest"), field(b, "digest"));
  ASSERT_EQ(a.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "0.9"}).str, "OK");
  EXPECT_NE(field(a, "digest"), field(b, "digest"));
  ASSERT_EQ(a.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "0.5"}).str, "OK");  // the default
  EXPECT_EQ(field(a, "digest"), field(b, "digest"));
  ASSERT_EQ(b.cmd({"RECO.ITEM.DEL", "c", "i7"}).integer, 1);
  EXPECT_NE(field(a, "digest"), field(b, "digest"));
  ASSERT_EQ(b.cmd(items()[7]).integer, 1);
  EXPECT_EQ(field(a, "digest"), field(b, "digest"));
  EXPECT_NE(field(a, "digest"), d0);  // the model counts
}

TEST_F(Digest, ReplicaAndRestartKeepIt) {
  b.cmd({"FLUSHALL"});
  ASSERT_EQ(b.cmd({"RECO.CATALOG.DROP", "c"}).str, "OK");
  b.replica_of(a);
  wait_for_sync(a, b);
  EXPECT_EQ(field(b, "digest"), field(a, "digest"));
  Client ca = a.client();
  load(ca, {{"RECO.ITEM.SET", "c", "new", "VALUES", "2", "3", "4"}, {"RECO.ITEM.DEL", "c", "i3"}});
  wait_for_sync(a, b);
  EXPECT_EQ(field(b, "digest"), field(a, "digest"));
  const std::string d = field(a, "digest");
  ASSERT_EQ(a.cmd({"SAVE"}).str, "OK");
  a.restart();
  EXPECT_EQ(field(a, "digest"), d);
}

}  // namespace
}  // namespace reco::test
