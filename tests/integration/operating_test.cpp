// Operating reco: COMMAND DOCS / GETKEYS for every RECO.* command, ACL users (read-only key
// permission, -@write), the reco.max-* caps (defaults, over-cap refusals that change
// nothing, refused CONFIG SET values, load-time settings, CONFIG REWRITE).
#include <gtest/gtest.h>

#include <algorithm>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

const std::vector<std::string> kCommands{
    "reco.catalog.create", "reco.catalog.drop",   "reco.catalog.info",  "reco.catalog.list",
    "reco.catalog.dump",   "reco.catalog.restore",
    "reco.catalog.config", "reco.item.set",       "reco.item.del",      "reco.item.get",
    "reco.user.set",       "reco.user.get",       "reco.user.seen.add", "reco.user.seen.del",
    "reco.user.seen.has",  "reco.recommend",      "reco.similar",       "reco.knn",
    "reco.score",          "reco.model.put",      "reco.model.activate", "reco.model.rollback",
    "reco.model.del",      "reco.model.split",    "reco.model.list",    "reco.model.info"};

// The names of the arguments (top level) of one COMMAND DOCS entry.
std::vector<std::string> arg_names(const Reply& doc) {
  std::vector<std::string> out;
  auto m = doc.as_map();
  if (!m.count("arguments")) return out;
  for (const Reply& a : m["arguments"].elements) out.push_back(a.as_map()["name"].str);
  return out;
}

class Operating : public ::testing::Test {
 protected:
  void SetUp() override { srv.start(RECO_MODULE_PATH); }
  void make_data() {
    Client c = srv.client();
    load(c, {{"RECO.CATALOG.CREATE", "c", "DIM", "2", "METRIC", "IP"},
             {"RECO.ITEM.SET", "c", "a", "VALUES", "2", "1", "0"},
             {"RECO.ITEM.SET", "c", "b", "VALUES", "2", "0", "1"},
             {"RECO.USER.SET", "user:1", "VALUES", "2", "1", "0"}});
  }
  Client as(const std::string& user) {
    Client c = srv.client();
    Reply r = c.cmd({"AUTH", user, "pw"});
    EXPECT_EQ(r.str, "OK") << r.str;
    return c;
  }
  RedisServer srv;
};

TEST_F(Operating, CommandDocsForEveryCommand) {
  // The list above is every command the module registers (a new one must be added to it).
  std::vector<std::string> registered = srv.cmd({"COMMAND", "LIST", "FILTERBY", "MODULE", "reco"}).strings();
  std::vector<std::string> listed = kCommands;
  listed.insert(listed.end(), {"reco.catalog.config|get", "reco.catalog.config|set"});
  std::sort(registered.begin(), registered.end());
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(registered, listed);
  for (const std::string& name : kCommands) {
    Reply docs = srv.cmd({"COMMAND", "DOCS", name});
    ASSERT_EQ(docs.elements.size(), 2u) << name;
    auto m = docs.elements[1].as_map();
    EXPECT_FALSE(m["summary"].str.empty()) << name;
    EXPECT_EQ(m["since"].str, "1") << name;
    EXPECT_FALSE(m["complexity"].str.empty()) << name;
    if (name != "reco.catalog.list" && name != "reco.catalog.config") {
      EXPECT_FALSE(arg_names(docs.elements[1]).empty()) << name;
    }
  }
  auto rec = srv.cmd({"COMMAND", "DOCS", "reco.recommend"}).elements[1];
  EXPECT_EQ(arg_names(rec), (std::vector<std::string>{"catalog", "user", "k", "session", "exclude", "hasterm",
                                                      "budget", "weight", "model", "context", "ef", "withscores",
                                                      "explain"}));
  auto args = rec.as_map()["arguments"].elements;
  EXPECT_EQ(args[1].as_map()["type"].str, "key");
  EXPECT_EQ(args[3].as_map()["token"].str, "SESSION");
  // The subcommands carry their own docs.
  auto cfg = srv.cmd({"COMMAND", "DOCS", "reco.catalog.config"}).elements[1].as_map();
  auto subs = cfg["subcommands"].as_map();
  ASSERT_TRUE(subs.count("reco.catalog.config|get"));
  ASSERT_TRUE(subs.count("reco.catalog.config|set"));
  EXPECT_EQ(arg_names(subs["reco.catalog.config|set"]), (std::vector<std::string>{"catalog", "setting"}));
}

TEST_F(Operating, CommandInfoArityFlagsAndKeySpecs) {
  auto info = srv.cmd({"COMMAND", "INFO", "reco.recommend", "reco.user.seen.add", "reco.catalog.create"});
  ASSERT_EQ(info.elements.size(), 3u);
  EXPECT_EQ(info.elements[0].elements[1].integer, -4);
  std::string rec = info.elements[0].to_string();
  EXPECT_NE(rec.find("RO"), std::string::npos) << rec;
  EXPECT_EQ(rec.find("RW"), std::string::npos) << rec;
  EXPECT_NE(info.elements[1].to_string().find("RW"), std::string::npos);
  EXPECT_NE(info.elements[1].to_string().find("insert"), std::string::npos);
  EXPECT_EQ(info.elements[2].elements[3].integer, 0);  // no key
  // Redis checks the arity now, before the module runs.
  EXPECT_NE(srv.cmd({"RECO.RECOMMEND", "c", "u"}).str.find("wrong number of arguments"), std::string::npos);
}

TEST_F(Operating, CatalogConfigSubcommandFlags) {
  make_data();
  std::string info = srv.cmd({"COMMAND", "INFO", "reco.catalog.config|set"}).to_string();
  EXPECT_NE(info.find("write"), std::string::npos) << info;
  EXPECT_NE(info.find("denyoom"), std::string::npos) << info;
  info = srv.cmd({"COMMAND", "INFO", "reco.catalog.config|get"}).to_string();
  EXPECT_NE(info.find("readonly"), std::string::npos) << info;
  // Read-only scripts may read but not write the settings.
  EXPECT_TRUE(srv.cmd({"EVAL_RO", "return redis.call('RECO.CATALOG.CONFIG','GET','c','WEIGHT.TERM')", "0"}).is_array());
  Reply w = srv.cmd({"EVAL_RO", "return redis.call('RECO.CATALOG.CONFIG','SET','c','WEIGHT.TERM','1')", "0"});
  EXPECT_TRUE(w.is_error()) << w.to_string();
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c", "WEIGHT.TERM"}).elements[1].as_double(), 0.5);

  // Re-sending the same settings does not move the catalog's version; a change does.
  auto version = [&] { return srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()["version"].as_integer(); };
  long long v = version();
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "0.5", "EF_RUNTIME", "0"}).str, "OK");
  EXPECT_EQ(version(), v);
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "0.75"}).str, "OK");
  EXPECT_GT(version(), v);
  // The old order is refused with Redis's own error, nothing changed.
  EXPECT_NE(srv.cmd({"RECO.CATALOG.CONFIG", "c", "SET", "WEIGHT.TERM", "1"}).str.find("unknown subcommand"),
            std::string::npos);
}

TEST_F(Operating, CommandGetKeys) {
  EXPECT_EQ(srv.cmd({"COMMAND", "GETKEYS", "RECO.RECOMMEND", "c", "user:1", "10"}).strings(),
            (std::vector<std::string>{"user:1"}));
  EXPECT_EQ(srv.cmd({"COMMAND", "GETKEYS", "RECO.SCORE", "c", "user:1", "1", "a"}).strings(),
            (std::vector<std::string>{"user:1"}));
  for (const char* cmd : {"RECO.USER.GET", "RECO.USER.SET"})
    EXPECT_EQ(srv.cmd({"COMMAND", "GETKEYS", cmd, "user:2"}).strings(), (std::vector<std::string>{"user:2"}));
  for (const char* cmd : {"RECO.USER.SEEN.ADD", "RECO.USER.SEEN.DEL", "RECO.USER.SEEN.HAS"})
    EXPECT_EQ(srv.cmd({"COMMAND", "GETKEYS", cmd, "user:3", "a"}).strings(), (std::vector<std::string>{"user:3"}));
  EXPECT_TRUE(srv.cmd({"COMMAND", "GETKEYS", "RECO.CATALOG.INFO", "c"}).is_error());  // no keys
}

TEST_F(Operating, ReadOnlyKeyPermissionRunsTheQueries) {
  make_data();
  ASSERT_EQ(srv.cmd({"ACL", "SETUSER", "reader", "on", ">pw", "%R~user:*", "%R~reco:catalog:*", "+@all"}).str, "OK");
  Client r = as("reader");
  Reply rec = r.cmd({"RECO.RECOMMEND", "c", "user:1", "2"});
  EXPECT_TRUE(rec.is_array()) << rec.str;
  Reply score = r.cmd({"RECO.SCORE", "c", "user:1", "1", "a"});  // reaches the command
  EXPECT_EQ(score.str, "ERR catalog 'c' has no active model (RECO.MODEL.ACTIVATE)");
  EXPECT_TRUE(r.cmd({"RECO.USER.GET", "user:1"}).is_array());
  EXPECT_TRUE(r.cmd({"RECO.USER.SEEN.HAS", "user:1", "a"}).is_integer());
  Reply seen = r.cmd({"RECO.USER.SEEN.ADD", "user:1", "a"});
  EXPECT_EQ(seen.str.rfind("NOPERM", 0), 0u) << seen.str;
  EXPECT_EQ(r.cmd({"RECO.USER.SET", "user:1", "VALUES", "2", "0", "1"}).str.rfind("NOPERM", 0), 0u);
  // Keys outside the pattern stay out of reach.
  EXPECT_EQ(r.cmd({"RECO.RECOMMEND", "c", "other", "2"}).str.rfind("NOPERM", 0), 0u);
}

TEST_F(Operating, NoWriteUserCannotChangeCatalogsUsersOrModels) {
  make_data();
  ASSERT_EQ(srv.cmd({"ACL", "SETUSER", "ro", "on", ">pw", "~*", "+@all", "-@write"}).str, "OK");
  std::string before = srv.cmd({"RECO.CATALOG.INFO", "c"}).to_string();
  Client r = as("ro");
  for (const Args& cmd : std::vector<Args>{
           {"RECO.CATALOG.CREATE", "d", "DIM", "2"},
           {"RECO.CATALOG.DROP", "c"},
           {"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "1"},
           {"RECO.ITEM.SET", "c", "z", "VALUES", "2", "1", "1"},
           {"RECO.ITEM.DEL", "c", "a"},
           {"RECO.USER.SET", "user:1", "VALUES", "2", "0", "1"},
           {"RECO.USER.SEEN.ADD", "user:1", "a"},
           {"RECO.USER.SEEN.DEL", "user:1", "a"},
           {"RECO.MODEL.PUT", "c", "v1", "bytes"},
           {"RECO.MODEL.ACTIVATE", "c", "v1"},
           {"RECO.MODEL.ROLLBACK", "c"},
           {"RECO.MODEL.DEL", "c", "v1"},
           {"RECO.MODEL.SPLIT", "c", "OFF"},
       }) {
    Reply reply = r.cmd(cmd);
    EXPECT_EQ(reply.str.rfind("NOPERM", 0), 0u) << join(cmd) << " -> " << reply.to_string();
  }
  // Reads still work, and nothing changed.
  EXPECT_TRUE(r.cmd({"RECO.RECOMMEND", "c", "user:1", "2"}).is_array());
  EXPECT_TRUE(r.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).is_array());
  EXPECT_TRUE(r.cmd({"RECO.MODEL.LIST", "c"}).is_array());
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.INFO", "c"}).to_string(), before);
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.LIST"}).strings(), (std::vector<std::string>{"c"}));
  // A full user writes as before.
  ASSERT_EQ(srv.cmd({"ACL", "SETUSER", "rw", "on", ">pw", "~*", "+@all"}).str, "OK");
  EXPECT_EQ(as("rw").cmd({"RECO.ITEM.SET", "c", "z", "VALUES", "2", "1", "1"}).integer, 1);
}

TEST_F(Operating, ConfigDefaults) {
  auto m = srv.cmd({"CONFIG", "GET", "reco.max-*"}).as_map();
  EXPECT_EQ(m["reco.max-k"].as_integer(), 10000);
  EXPECT_EQ(m["reco.max-budget"].as_integer(), 100000);
  EXPECT_EQ(m["reco.max-ef"].as_integer(), 100000);
  EXPECT_EQ(m["reco.max-list"].as_integer(), 100000);
  EXPECT_EQ(m["reco.max-model-bytes"].as_integer(), 512LL << 20);
}

TEST_F(Operating, CapsRefuseAndChangeNothing) {
  make_data();
  for (const char* kv : {"max-k 5", "max-budget 50", "max-ef 64", "max-list 3", "max-model-bytes 1024"}) {
    std::istringstream in(kv);
    std::string name, value;
    in >> name >> value;
    ASSERT_EQ(srv.cmd({"CONFIG", "SET", "reco." + name, value}).str, "OK") << kv;
  }
  std::string catalog = srv.cmd({"RECO.CATALOG.INFO", "c"}).to_string();
  std::string config = srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string();
  std::string user = srv.cmd({"RECO.USER.GET", "user:1"}).to_string();
  struct Case {
    Args cmd;
    std::string error;
  };
  for (const Case& t : std::vector<Case>{
           {{"RECO.RECOMMEND", "c", "user:1", "6"}, "ERR K 6 exceeds reco.max-k (5)"},
           {{"RECO.SIMILAR", "c", "a", "6"}, "ERR K 6 exceeds reco.max-k (5)"},
           {{"RECO.KNN", "c", "6", "VALUES", "2", "1", "0"}, "ERR K 6 exceeds reco.max-k (5)"},
           {{"RECO.RECOMMEND", "c", "user:1", "2", "BUDGET", "TERM", "51"},
            "ERR BUDGET TERM 51 exceeds reco.max-budget (50)"},
           {{"RECO.CATALOG.CONFIG", "SET", "c", "BUDGET.VECTOR", "51"},
            "ERR BUDGET.VECTOR 51 exceeds reco.max-budget (50)"},
           {{"RECO.RECOMMEND", "c", "user:1", "2", "EF", "65"}, "ERR EF 65 exceeds reco.max-ef (64)"},
           {{"RECO.CATALOG.CONFIG", "SET", "c", "EF_RUNTIME", "65"}, "ERR EF_RUNTIME 65 exceeds reco.max-ef (64)"},
           {{"RECO.CATALOG.CREATE", "d", "DIM", "2", "EF_CONSTRUCTION", "65"},
            "ERR EF_CONSTRUCTION 65 exceeds reco.max-ef (64)"},
           {{"RECO.RECOMMEND", "c", "user:1", "2", "EXCLUDE", "4", "a", "b", "c", "d"},
            "ERR EXCLUDE count 4 exceeds reco.max-list (3)"},
           {{"RECO.USER.SEEN.ADD", "user:1", "a", "b", "c", "d"}, "ERR items 4 exceeds reco.max-list (3)"},
           {{"RECO.USER.SET", "user:1", "SEEN", "4", "a", "b", "c", "d"}, "ERR SEEN count 4 exceeds reco.max-list (3)"},
           {{"RECO.ITEM.DEL", "c", "a", "b", "x", "y"}, "ERR items 4 exceeds reco.max-list (3)"},
           {{"RECO.MODEL.PUT", "c", "v1", std::string(1025, 'x')},
            "ERR model file of 1025 exceeds reco.max-model-bytes (1024)"},
       }) {
    EXPECT_EQ(srv.cmd(t.cmd).str, t.error) << join(t.cmd);
  }
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.INFO", "c"}).to_string(), catalog);
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).to_string(), config);
  EXPECT_EQ(srv.cmd({"RECO.USER.GET", "user:1"}).to_string(), user);
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.LIST"}).strings(), (std::vector<std::string>{"c"}));
  // At the cap is fine.
  EXPECT_TRUE(srv.cmd({"RECO.RECOMMEND", "c", "user:1", "5", "BUDGET", "TERM", "50", "EF", "64"}).is_array());
}

TEST_F(Operating, ConfigSetRefusesBadValues) {
  for (const Args& a : std::vector<Args>{{"reco.max-k", "0"},
                                         {"reco.max-k", "10001"},
                                         {"reco.max-k", "abc"},
                                         {"reco.max-budget", "-1"},
                                         {"reco.max-ef", "100001"},
                                         {"reco.max-list", "0"},
                                         {"reco.max-model-bytes", "100"},
                                         {"reco.max-model-bytes", "2147483648"}}) {
    EXPECT_TRUE(srv.cmd({"CONFIG", "SET", a[0], a[1]}).is_error()) << a[0] << " " << a[1];
  }
  auto m = srv.cmd({"CONFIG", "GET", "reco.max-*"}).as_map();
  EXPECT_EQ(m["reco.max-k"].as_integer(), 10000);
  EXPECT_EQ(m["reco.max-list"].as_integer(), 100000);
}

TEST(OperatingLoad, ConfigsAtLoadTimeAndConfigRewrite) {
  RedisServer srv;
  srv.start(RECO_MODULE_PATH, {{"reco.max-k", "7"}, {"reco.max-list", "9"}});
  EXPECT_EQ(srv.cmd({"CONFIG", "GET", "reco.max-k"}).as_map()["reco.max-k"].as_integer(), 7);
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2"}).str, "OK");
  EXPECT_EQ(srv.cmd({"RECO.KNN", "c", "8", "VALUES", "2", "1", "0"}).str, "ERR K 8 exceeds reco.max-k (7)");
  ASSERT_EQ(srv.cmd({"CONFIG", "SET", "reco.max-ef", "123"}).str, "OK");
  ASSERT_EQ(srv.cmd({"CONFIG", "REWRITE"}).str, "OK");
  srv.restart();
  auto m = srv.cmd({"CONFIG", "GET", "reco.max-*"}).as_map();
  EXPECT_EQ(m["reco.max-k"].as_integer(), 7);
  EXPECT_EQ(m["reco.max-list"].as_integer(), 9);
  EXPECT_EQ(m["reco.max-ef"].as_integer(), 123);
}

// Caps guard client requests; what a master accepted, its replica applies whatever its caps.
TEST(OperatingReplica, ReplicaAppliesWhatTheMasterAccepted) {
  RedisServer master, replica;
  master.start(RECO_MODULE_PATH);
  replica.start(RECO_MODULE_PATH, {{"reco.max-list", "2"}});
  replica.replica_of(master);
  wait_for_sync(master, replica);
  ASSERT_EQ(master.cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2"}).str, "OK");
  ASSERT_EQ(master.cmd({"RECO.USER.SEEN.ADD", "user:1", "a", "b", "c"}).integer, 3);
  wait_for_sync(master, replica);
  EXPECT_EQ(replica.cmd({"RECO.USER.SEEN.HAS", "user:1", "c"}).integer, 1);
  EXPECT_EQ(replica.cmd({"RECO.RECOMMEND", "c", "user:1", "2", "EXCLUDE", "3", "a", "b", "c"}).str,
            "ERR EXCLUDE count 3 exceeds reco.max-list (2)");
}

}  // namespace
}  // namespace reco::test
