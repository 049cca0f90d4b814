// Replication: a replica that full-syncs from a master (catalogs travel as RDB aux data,
// users as keys) and then follows its command stream answers every query exactly as the
// master does — including the order of tied results, which depends on internal ids.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

constexpr std::size_t kDim = 8;

std::vector<Args> initial_data() {
  std::mt19937_64 rng(10);
  std::vector<Args> cmds{{"RECO.CATALOG.CREATE", "films", "DIM", std::to_string(kDim)},
                         {"RECO.CATALOG.CREATE", "ip", "DIM", "3", "METRIC", "IP"},
                         {"RECO.CATALOG.CREATE", "tmp", "DIM", "2", "METRIC", "L2"}};
  for (int i = 0; i < 200; ++i)
    cmds.push_back({"RECO.ITEM.SET", "films", "f" + std::to_string(i), "FP32",
                    fp32(random_vector(rng, kDim)), "TERMS", "1", "g" + std::to_string(i % 5),
                    "POPULARITY", std::to_string(i % 13), "TIME", std::to_string(i % 3)});
  for (int i = 0; i < 6; ++i)
    cmds.push_back({"RECO.ITEM.SET", "ip", "p" + std::to_string(i), "VALUES", "3", "1", "1",
                    "0", "POPULARITY", "1"});  // identical: ties everywhere
  cmds.push_back({"RECO.ITEM.SET", "tmp", "x", "VALUES", "2", "0", "0"});
  cmds.push_back({"RECO.ITEM.DEL", "films", "f3", "f4", "f5"});
  for (int u = 0; u < 10; ++u)
    cmds.push_back({"RECO.USER.SET", "u:" + std::to_string(u), "FP32",
                    fp32(random_vector(rng, kDim)), "TERMS", "1", "g" + std::to_string(u % 5),
                    "1", "SEEN", "3", "f" + std::to_string(u), "f" + std::to_string(u + 10),
                    "f" + std::to_string(u + 20)});
  cmds.push_back({"RECO.USER.SET", "u:ip", "VALUES", "3", "1", "1", "0"});
  return cmds;
}

std::vector<Args> later_writes() {
  std::mt19937_64 rng(11);
  std::vector<Args> cmds{{"RECO.CATALOG.CREATE", "fresh", "DIM", "4", "METRIC", "COSINE"}};
  for (int i = 0; i < 30; ++i)
    cmds.push_back({"RECO.ITEM.SET", "fresh", "n" + std::to_string(i), "FP32",
                    fp32(random_vector(rng, 4)), "POPULARITY", std::to_string(i % 4)});
  // Re-adds fill freed ids; the duplicates in "ip" make result order depend on them.
  cmds.push_back({"RECO.ITEM.SET", "films", "late1", "FP32", fp32(random_vector(rng, kDim))});
  cmds.push_back({"RECO.ITEM.SET", "films", "f4", "FP32", fp32(random_vector(rng, kDim))});
  cmds.push_back({"RECO.ITEM.DEL", "ip", "p1", "p2"});
  cmds.push_back({"RECO.ITEM.SET", "ip", "q1", "VALUES", "3", "1", "1", "0", "POPULARITY", "1"});
  cmds.push_back({"RECO.ITEM.SET", "ip", "q2", "VALUES", "3", "1", "1", "0", "POPULARITY", "1"});
  cmds.push_back({"RECO.ITEM.SET", "films", "f7", "POPULARITY", "99", "TERMS", "1", "g9"});
  cmds.push_back({"RECO.ITEM.DEL", "films", "f8", "f150"});
  cmds.push_back({"RECO.CATALOG.DROP", "tmp"});
  cmds.push_back({"RECO.USER.SET", "u:new", "FP32", fp32(random_vector(rng, kDim)), "SEEN", "2",
                  "f0", "f1"});
  cmds.push_back({"RECO.USER.SEEN.ADD", "u:1", "f30", "f31", "f32"});
  cmds.push_back({"RECO.USER.SEEN.DEL", "u:2", "f2"});
  cmds.push_back({"RECO.USER.SET", "u:3", "TERMS", "2", "g1", "3", "g2", "1"});
  cmds.push_back({"DEL", "u:4"});
  cmds.push_back({"RENAME", "u:5", "u:5b"});
  cmds.push_back({"EXPIRE", "u:6", "1000"});
  return cmds;
}

std::vector<Args> probes() {
  std::vector<Args> p{{"DBSIZE"}};
  for (std::string cat : {"films", "ip", "tmp", "fresh"}) p.push_back({"RECO.CATALOG.INFO", cat});
  for (int i = 0; i < 200; ++i) p.push_back({"RECO.ITEM.GET", "films", "f" + std::to_string(i)});
  p.push_back({"RECO.ITEM.GET", "films", "late1"});
  std::vector<std::string> users{"u:new", "u:5b", "u:ip", "u:missing"};
  for (int u = 0; u < 10; ++u) users.push_back("u:" + std::to_string(u));
  for (auto& u : users) {
    p.push_back({"RECO.USER.GET", u});
    if (u != "u:ip") p.push_back({"RECO.RECOMMEND", "films", u, "15", "WITHSCORES"});
  }
  p.push_back({"RECO.RECOMMEND", "ip", "u:ip", "10", "WITHSCORES"});
  p.push_back({"RECO.RECOMMEND", "fresh", "u:missing", "10", "WITHSCORES"});
  p.push_back({"RECO.RECOMMEND", "films", "u:1", "20", "SESSION", "1", "f50", "EXCLUDE", "1",
               "f51", "WITHSCORES"});
  for (int i = 0; i < 200; i += 19)
    p.push_back({"RECO.SIMILAR", "films", "f" + std::to_string(i), "10", "WITHSCORES"});
  p.push_back({"RECO.SIMILAR", "ip", "p0", "10", "WITHSCORES"});
  p.push_back({"RECO.KNN", "ip", "10", "VALUES", "3", "1", "1", "0", "WITHSCORES"});
  p.push_back({"RECO.KNN", "fresh", "5", "VALUES", "4", "1", "0", "0", "0", "WITHSCORES"});
  return p;
}

// memory_bytes is an allocation estimate, not data; everything else must be identical.
std::vector<std::string> observe(RedisServer& s) {
  Client c = s.client();
  auto ps = probes();
  auto replies = pipeline(c, ps);
  std::vector<std::string> out;
  auto list = c.cmd({"RECO.CATALOG.LIST"});
  auto names = list.is_array() ? list.strings() : std::vector<std::string>{list.to_string()};
  std::sort(names.begin(), names.end());
  std::string all = "catalogs:";
  for (auto& n : names) all += " " + n;
  out.push_back(all);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    Reply r = replies[i];
    if (ps[i][0] == "RECO.CATALOG.INFO" && r.is_array())
      for (std::size_t j = 0; j + 1 < r.elements.size(); j += 2)
        if (r.elements[j].str.ends_with("memory_bytes")) r.elements[j + 1] = Reply{};
    out.push_back(join(ps[i]) + " -> " + r.to_string());
  }
  return out;
}

void expect_same(const std::vector<std::string>& master, const std::vector<std::string>& replica) {
  ASSERT_EQ(master.size(), replica.size());
  int diffs = 0;
  for (std::size_t i = 0; i < master.size(); ++i)
    if (master[i] != replica[i] && ++diffs <= 10)
      ADD_FAILURE() << "master:  " << master[i] << "\nreplica: " << replica[i];
  EXPECT_EQ(diffs, 0);
}

class Replication : public ::testing::Test {
 protected:
  void SetUp() override {
    master.start(RECO_MODULE_PATH);
    replica.start(RECO_MODULE_PATH);
  }
  RedisServer master, replica;
};

TEST_F(Replication, FullSyncThenCommandStream) {
  Client m = master.client();
  load(m, initial_data());
  replica.replica_of(master);
  wait_for_sync(master, replica);
  auto before = observe(master);
  // Sanity: the master really holds the data being compared.
  EXPECT_NE(before[0].find("films ip tmp"), std::string::npos) << before[0];
  expect_same(before, observe(replica));

  load(m, later_writes());
  wait_for_sync(master, replica);
  auto after = observe(master);
  EXPECT_NE(after[0].find("films fresh ip"), std::string::npos) << after[0];
  EXPECT_NE(before, after);
  expect_same(after, observe(replica));
  EXPECT_GT(replica.cmd({"TTL", "u:6"}).integer, 0);
}

TEST_F(Replication, LateReplicaGetsEverythingByFullSync) {
  Client m = master.client();
  load(m, initial_data());
  load(m, later_writes());
  replica.replica_of(master);
  wait_for_sync(master, replica);
  expect_same(observe(master), observe(replica));
}

TEST_F(Replication, ReplicaRefusesWrites) {
  Client m = master.client();
  load(m, initial_data());
  replica.replica_of(master);
  wait_for_sync(master, replica);
  auto before = observe(replica);
  Client r = replica.client();
  for (const Args& cmd : std::vector<Args>{
           {"RECO.CATALOG.CREATE", "rogue", "DIM", "2"},
           {"RECO.CATALOG.DROP", "films"},
           {"RECO.ITEM.SET", "films", "rogue", "POPULARITY", "1000"},
           {"RECO.ITEM.DEL", "films", "f0"},
           {"RECO.USER.SET", "u:0", "SEEN", "0"},
           {"RECO.USER.SEEN.ADD", "u:0", "f99"},
           {"RECO.USER.SEEN.DEL", "u:0", "f0"},
       }) {
    Reply reply = r.cmd(cmd);
    EXPECT_TRUE(reply.is_error()) << join(cmd) << " -> " << reply.to_string();
  }
  expect_same(before, observe(replica));
  // Reads are served.
  EXPECT_TRUE(r.cmd({"RECO.RECOMMEND", "films", "u:0", "5"}).is_array());
}

}  // namespace
}  // namespace reco::test
