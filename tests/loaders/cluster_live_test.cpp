// reco in a loopback Redis Cluster of 3 masters + 3 replicas (redis-cli --cluster create),
// driven through the tools as an operator would: reco-load fans the catalog, its items,
// blend and a model out to every master and each user to its slot's master; --check finds
// every node equal; a master added to the cluster has no catalog (--check names it) until
// reco-load --copy-from gives it one (graph included); resharding slots to it moves user
// keys and answers stay the same; a master's failover keeps answering with the catalog;
// the check still passes with the failed node named. Also the offline pieces: key slots
// (the cluster specification's test values) and MOVED/ASK parsing.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "live_fixture.hpp"
#include "reco_offline/cluster.hpp"
#include "reco_offline/cluster_loader.hpp"
#include "reco_offline/factor_files.hpp"
#include "reco_offline/prepare.hpp"
#include "redis_server.hpp"
#include "temp_dir.hpp"
#include "tool_run.hpp"

using namespace reco_offline;
using reco::test::RedisServer;
using reco_offline::test::run;
using reco_offline::test::tool;
using reco_offline::test::ToolRun;

namespace {

TEST(ClusterSlots, KeySlotsAndRedirects) {
  EXPECT_EQ(crc16_xmodem("123456789"), 0x31C3);  // the CRC16-XMODEM check value
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("foo{}{bar}"), key_slot("foo{}{bar}"));  // an empty tag: the whole key
  EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));
  bool ask = false;
  std::string host;
  int port = 0;
  ASSERT_TRUE(parse_redirect("MOVED 3999 127.0.0.1:6381", ask, host, port));
  EXPECT_FALSE(ask);
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 6381);
  ASSERT_TRUE(parse_redirect("ASK 12182 10.0.0.2:7000", ask, host, port));
  EXPECT_TRUE(ask);
  EXPECT_FALSE(parse_redirect("ERR no such catalog", ask, host, port));
  EXPECT_FALSE(parse_redirect("MOVED 1 nohost", ask, host, port));
}

const reco::test::ConfigLines kClusterConfig = {
    {"cluster-enabled", "yes"}, {"cluster-config-file", "nodes.conf"}, {"cluster-node-timeout", "1500"},
    {"cluster-require-full-coverage", "no"}};

std::string addr(const RedisServer& s) { return "127.0.0.1:" + std::to_string(s.port()); }

bool cluster_ok(RedisServer& s) {
  try {
    return s.info("cluster").count("cluster_enabled") &&
           s.cmd({"CLUSTER", "INFO"}).str.find("cluster_state:ok") != std::string::npos;
  } catch (...) {
    return false;
  }
}

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    const test::LiveData data = test::LiveData::make(400, 300, 30000);
    prep = dir.file("prep");
    write_prepared(data.prepared, prep);
    write_factors(data.items, prep + "/item_factors.npy", prep + "/item_ids.txt");
    write_factors(data.users, prep + "/user_factors.npy", prep + "/user_ids.txt");
    users = data.prepared.users;
    for (int i = 0; i < 6; ++i) {
      nodes.push_back(std::make_unique<RedisServer>());
      nodes.back()->start(RECO_MODULE_PATH, kClusterConfig);
    }
    std::string create = "redis-cli --cluster create";
    for (auto& n : nodes) create += " " + addr(*n);
    ToolRun r = run(create + " --cluster-replicas 1 --cluster-yes");
    ASSERT_EQ(r.status, 0) << r.output;
    for (auto& n : nodes)
      reco::test::wait_until([&] { return cluster_ok(*n); }, std::chrono::seconds(20), "cluster state ok");
    // Every node sees 3 masters and 3 replicas, and every replica's link is up.
    reco::test::wait_until(
        [&] {
          int replicas = 0;
          for (auto& n : nodes) {
            auto rep = n->info("replication");
            replicas += rep["role"] == "slave" && rep["master_link_status"] == "up";
            const std::string view = n->cmd({"CLUSTER", "NODES"}).str;
            size_t slaves = 0;
            for (size_t at = view.find("slave"); at != std::string::npos; at = view.find("slave", at + 1)) ++slaves;
            if (slaves != 3) return false;
          }
          return replicas == 3;
        },
        std::chrono::seconds(30), "3 masters + 3 replicas");
  }
  std::string port0() const { return std::to_string(nodes[0]->port()); }
  RedisServer* by_port(int port) {
    for (auto& n : nodes)
      if (n->port() == port) return n.get();
    return nullptr;
  }
  // The node serving `key`'s slot now.
  RedisServer* owner(const std::string& key) {
    RedisConnection c("127.0.0.1", nodes[0]->running() ? nodes[0]->port() : nodes[1]->port());
    const ClusterTopology t = read_topology(c);
    const int s = t.shard_of(key_slot(key));
    if (s < 0 || !t.shards[static_cast<size_t>(s)].master()) return nullptr;
    RedisServer* n = by_port(t.shards[static_cast<size_t>(s)].master()->port);
    return n && n->running() ? n : nullptr;  // a stopped master, until the cluster sees it failed
  }
  std::map<std::string, std::string> answers(size_t every) {
    std::map<std::string, std::string> out;
    for (size_t u = 0; u < users.size(); u += every) {
      const std::string key = "user:" + users[u].id;
      RedisServer* s = owner(key);
      if (!s) continue;
      out[key] = s->cmd({"RECO.RECOMMEND", "movies", key, "10"}).to_string();
    }
    return out;
  }
  long long user_keys() {
    long long n = 0;
    for (auto& s : nodes)
      if (s->running() && s->info("replication")["role"] == "master") n += s->cmd({"DBSIZE"}).integer;
    return n;
  }

  reco_offline::test::TempDir dir;
  std::string prep;
  std::vector<UserRecord> users;
  std::vector<std::unique_ptr<RedisServer>> nodes;
};

TEST_F(Cluster, FanOutAddAMasterReshardFailOver) {
  // 1. Fan-out: catalog, items, blend on every master; users by slot; a model everywhere.
  ToolRun r = run(tool("reco-load") + " -p " + prep + " -P " + port0() + " --progress never");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("cluster: 3 masters (6 nodes)"), std::string::npos) << r.output;
  EXPECT_EQ(user_keys(), static_cast<long long>(users.size()));
  for (size_t u = 0; u < users.size(); u += 37) {
    const std::string key = "user:" + users[u].id;
    ASSERT_NE(owner(key), nullptr);
    EXPECT_EQ(owner(key)->cmd({"EXISTS", key}).integer, 1) << key;
  }
  const std::string model = dir.file("m.safetensors");
  {
    // A tiny valid model: one candidate field (blend.score), logit output.
    std::string schema = R"({"format":"reco.fm","version":1,"output":"logit","fields":[{"name":"b","side":"candidate","kind":"dense","source":"candidate:blend.score","mean":0,"std":1}]})";
    nlohmann::json h = {{"__metadata__", {{"reco", schema}}},
                        {"bias", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}},
                        {"linear.b", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {4, 8}}}}};
    const std::string header = h.dump();
    std::string bytes;
    const uint64_t n = header.size();
    for (int b = 0; b < 8; ++b) bytes.push_back(static_cast<char>(n >> (8 * b)));
    bytes += header;
    const float w[2] = {0.0f, 1.0f};
    bytes.append(reinterpret_cast<const char*>(w), sizeof w);
    std::ofstream(model, std::ios::binary) << bytes;
  }
  r = run(tool("reco-load") + " -P " + port0() + " --model m1=" + model + " --activate m1");
  ASSERT_EQ(r.status, 0) << r.output;
  r = run(tool("reco-load") + " -P " + port0() + " --check");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("all 6 nodes hold the same 1 catalog"), std::string::npos) << r.output;
  const auto before = answers(7);
  ASSERT_GT(before.size(), 50u);

  // 2. A new master has no catalog: --check names it; a copy gives it the catalog.
  nodes.push_back(std::make_unique<RedisServer>());
  RedisServer& fresh = *nodes.back();
  fresh.start(RECO_MODULE_PATH, kClusterConfig);
  r = run("redis-cli --cluster add-node " + addr(fresh) + " " + addr(*nodes[0]));
  ASSERT_EQ(r.status, 0) << r.output;
  reco::test::wait_until([&] { return cluster_ok(fresh); }, std::chrono::seconds(20), "new node in the cluster");
  r = run(tool("reco-load") + " -P " + port0() + " --check");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("DIFFERS: catalog movies on " + addr(fresh)), std::string::npos) << r.output;
  r = run(tool("reco-load") + " -P " + port0() + " --copy-from " + addr(*nodes[1]));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("copied from"), std::string::npos) << r.output;
  r = run(tool("reco-load") + " -P " + port0() + " --check");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(fresh.cmd({"RECO.MODEL.LIST", "movies"}).to_string().find("m1") != std::string::npos, true);

  // 3. Resharding moves user keys to it; the answers stay the same.
  const std::string from_id = nodes[0]->cmd({"CLUSTER", "MYID"}).str;
  const std::string to_id = fresh.cmd({"CLUSTER", "MYID"}).str;
  r = run("redis-cli --cluster reshard " + addr(*nodes[0]) + " --cluster-from " + from_id + " --cluster-to " + to_id +
          " --cluster-slots 2000 --cluster-yes");
  ASSERT_EQ(r.status, 0) << r.output;
  reco::test::wait_until([&] { return fresh.cmd({"DBSIZE"}).integer > 0; }, std::chrono::seconds(20), "keys moved");
  EXPECT_EQ(user_keys(), static_cast<long long>(users.size()));
  EXPECT_EQ(answers(7), before);

  // 4. Failover: a master stops; its replica takes over and answers the same.
  const std::string stopped = addr(*nodes[1]);
  nodes[1]->stop();
  for (size_t i = 0; i < nodes.size(); ++i)
    if (i != 1)
      reco::test::wait_until([&] { return cluster_ok(*nodes[i]); }, std::chrono::seconds(30), "cluster ok after failover");
  reco::test::wait_until(
      [&] {
        for (auto& [key, reply] : before)
          if (!owner(key)) return false;
        return true;
      },
      std::chrono::seconds(30), "every slot served after failover");
  EXPECT_EQ(answers(7), before);
  EXPECT_EQ(user_keys(), static_cast<long long>(users.size()));
  r = run(tool("reco-load") + " -P " + port0() + " --check");
  EXPECT_EQ(r.status, 0) << r.output;
  const size_t line = r.output.find(stopped);
  ASSERT_NE(line, std::string::npos) << r.output;
  const std::string text = r.output.substr(line, r.output.find('\n', line) - line);
  EXPECT_NE(text.find("failed (the cluster's view)"), std::string::npos) << r.output;
  // The loader still fans out: users re-sent go to the promoted replica.
  r = run(tool("reco-load") + " -p " + prep + " -P " + port0() + " --only users --progress never");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(user_keys(), static_cast<long long>(users.size()));
}

TEST_F(Cluster, UsersFollowMovedAndAsk) {
  ToolRun r = run(tool("reco-load") + " -p " + prep + " -P " + port0() + " --only items --progress never");
  ASSERT_EQ(r.status, 0) << r.output;
  RedisConnection conn("127.0.0.1", nodes[0]->port());
  const ClusterTopology real = read_topology(conn);
  ASSERT_EQ(real.masters().size(), 3u);
  LoadOptions options;
  options.progress = ProgressBar::Mode::Never;

  // MOVED: a stale view (the shards' slot ranges rotated) sends every user to a wrong master
  // first; the loader reads the topology again and every user lands on its slot's master.
  ClusterTopology stale = real;
  const auto first = stale.shards[0].slots;
  for (size_t s = 0; s + 1 < stale.shards.size(); ++s) stale.shards[s].slots = stale.shards[s + 1].slots;
  stale.shards.back().slots = first;
  const std::vector<UserRecord> some(users.begin(), users.begin() + 150);
  LoadSummary moved = load_users_cluster(stale, some, nullptr, options);
  EXPECT_EQ(moved.errors, 0u) << (moved.first_errors.empty() ? "" : moved.first_errors[0]);
  EXPECT_EQ(moved.records, some.size());
  for (const UserRecord& u : some) {
    RedisServer* o = owner("user:" + u.id);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->cmd({"EXISTS", "user:" + u.id}).integer, 1) << u.id;
  }

  // ASK: a slot half-way through a migration (MIGRATING on its owner, IMPORTING on another
  // master, no key moved yet): a new key of that slot is created on the importing node.
  const UserRecord& u = users[200];
  const std::string key = "user:" + u.id;
  const int slot = key_slot(key);
  RedisServer* from = owner(key);
  ASSERT_NE(from, nullptr);
  RedisServer* to = nullptr;
  for (const ClusterNode& m : real.masters())
    if (m.port != from->port()) to = by_port(m.port);
  ASSERT_NE(to, nullptr);
  const std::string from_id = from->cmd({"CLUSTER", "MYID"}).str, to_id = to->cmd({"CLUSTER", "MYID"}).str;
  ASSERT_EQ(to->cmd({"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", from_id}).str, "OK");
  ASSERT_EQ(from->cmd({"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", to_id}).str, "OK");
  LoadSummary asked = load_users_cluster(real, {u}, nullptr, options);
  EXPECT_EQ(asked.errors, 0u) << (asked.first_errors.empty() ? "" : asked.first_errors[0]);
  EXPECT_EQ(from->cmd({"EXISTS", key}).integer, 0);
  to->cmd({"ASKING"});
  EXPECT_EQ(to->cmd({"RECO.USER.GET", key}).is_array(), true);  // created where the slot is going
  EXPECT_EQ(to->cmd({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer, 1);
}

}  // namespace
