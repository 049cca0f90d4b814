// User profiles are ordinary keys of the module type "reco-user": the generic key commands
// (TYPE, DEL, EXPIRE/TTL, RENAME, SCAN TYPE, COPY, MOVE) must work on them as on any key,
// and a copy must be independent of its original.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

class UserKey : public ::testing::Test {
 protected:
  void SetUp() override {
    srv.start(RECO_MODULE_PATH);
    c = std::make_unique<Client>(srv.client());
    load(*c, {{"RECO.CATALOG.CREATE", "c", "DIM", "3", "METRIC", "IP"},
              {"RECO.ITEM.SET", "c", "a", "VALUES", "3", "1", "0", "0", "POPULARITY", "1"},
              {"RECO.ITEM.SET", "c", "b", "VALUES", "3", "0", "1", "0", "POPULARITY", "2"},
              {"RECO.ITEM.SET", "c", "d", "VALUES", "3", "0", "0", "1", "POPULARITY", "3"},
              {"RECO.USER.SET", "u", "VALUES", "3", "0.9", "0.5", "0.1", "TERMS", "1", "x",
               "2", "FEATURES", "1", "age", "40", "SEEN", "1", "b"}});
  }
  Reply cmd(const Args& a) { return c->cmd(a); }
  std::string get(const std::string& key) { return cmd({"RECO.USER.GET", key}).to_string(); }

  RedisServer srv;
  std::unique_ptr<Client> c;
};

TEST_F(UserKey, TypeName) {
  EXPECT_EQ(cmd({"TYPE", "u"}).str, "reco-user");
  EXPECT_EQ(cmd({"EXISTS", "u"}).integer, 1);
  EXPECT_EQ(cmd({"DBSIZE"}).integer, 1);  // catalogs are not keys
}

TEST_F(UserKey, UserGetShape) {
  Reply r = cmd({"RECO.USER.GET", "u"});
  ASSERT_TRUE(r.is_array()) << r.to_string();
  auto m = r.as_map();
  ASSERT_TRUE(m.count("vector"));
  EXPECT_EQ(m["vector"].strings(), (std::vector<std::string>{"0.9", "0.5", "0.1"}));
  EXPECT_EQ(m["terms"].strings(), (std::vector<std::string>{"x", "2"}));
  EXPECT_EQ(m["features"].strings(), (std::vector<std::string>{"age", "40"}));
  EXPECT_EQ(m["seen_count"].as_integer(), 1);
}

TEST_F(UserKey, PartialSetKeepsOtherFields) {
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "TERMS", "1", "y", "0.5"}).str, "OK");
  auto m = cmd({"RECO.USER.GET", "u"}).as_map();
  EXPECT_EQ(m["vector"].strings().size(), 3u);
  EXPECT_EQ(m["terms"].strings(), (std::vector<std::string>{"y", "0.5"}));
  EXPECT_EQ(m["features"].strings(), (std::vector<std::string>{"age", "40"}));
  EXPECT_EQ(m["seen_count"].as_integer(), 1);
  // SEEN replaces the whole set.
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "SEEN", "2", "a", "d"}).str, "OK");
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "b"}).integer, 0);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "a"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.GET", "u"}).as_map()["seen_count"].as_integer(), 2);
}

TEST_F(UserKey, SeenCommands) {
  EXPECT_EQ(cmd({"RECO.USER.SEEN.ADD", "u", "a", "b", "a", "zz"}).integer, 2);  // b was seen
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "zz"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.DEL", "u", "zz", "zz", "nope"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "zz"}).integer, 0);
  // SEEN.ADD creates a missing key.
  EXPECT_EQ(cmd({"RECO.USER.SEEN.ADD", "fresh", "a"}).integer, 1);
  EXPECT_EQ(cmd({"TYPE", "fresh"}).str, "reco-user");
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "missing", "a"}).integer, 0);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.DEL", "missing", "a"}).integer, 0);
}

TEST_F(UserKey, Del) {
  EXPECT_EQ(cmd({"DEL", "u"}).integer, 1);
  EXPECT_EQ(cmd({"EXISTS", "u"}).integer, 0);
  EXPECT_EQ(cmd({"TYPE", "u"}).str, "none");
  EXPECT_EQ(cmd({"DEL", "u"}).integer, 0);
  // Missing key = cold user: popular order, nothing filtered.
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "3"}).strings(),
            (std::vector<std::string>{"d", "b", "a"}));
  EXPECT_EQ(cmd({"UNLINK", "nothing"}).integer, 0);
  ASSERT_EQ(cmd({"RECO.USER.SET", "u2", "SEEN", "1", "a"}).str, "OK");
  EXPECT_EQ(cmd({"UNLINK", "u2"}).integer, 1);
  EXPECT_EQ(cmd({"EXISTS", "u2"}).integer, 0);
}

TEST_F(UserKey, ExpireAndTtl) {
  EXPECT_EQ(cmd({"TTL", "u"}).integer, -1);
  EXPECT_EQ(cmd({"EXPIRE", "u", "100"}).integer, 1);
  long long ttl = cmd({"TTL", "u"}).integer;
  EXPECT_GT(ttl, 90);
  EXPECT_LE(ttl, 100);
  // A write through the module keeps the TTL, as writes to any key do.
  ASSERT_EQ(cmd({"RECO.USER.SEEN.ADD", "u", "a"}).integer, 1);
  EXPECT_GT(cmd({"TTL", "u"}).integer, 90);
  EXPECT_EQ(cmd({"PERSIST", "u"}).integer, 1);
  EXPECT_EQ(cmd({"TTL", "u"}).integer, -1);
  EXPECT_EQ(cmd({"PEXPIRE", "u", "50"}).integer, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  EXPECT_EQ(cmd({"EXISTS", "u"}).integer, 0);
  EXPECT_TRUE(cmd({"RECO.USER.GET", "u"}).is_nil());
  // An expired user is a cold user again.
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "1"}).strings(), (std::vector<std::string>{"d"}));
}

TEST_F(UserKey, Rename) {
  const std::string before = get("u");
  const std::string rec = cmd({"RECO.RECOMMEND", "c", "u", "3", "WITHSCORES"}).to_string();
  EXPECT_EQ(cmd({"RENAME", "u", "v"}).str, "OK");
  EXPECT_EQ(cmd({"EXISTS", "u"}).integer, 0);
  EXPECT_EQ(cmd({"TYPE", "v"}).str, "reco-user");
  EXPECT_EQ(get("v"), before);
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "v", "3", "WITHSCORES"}).to_string(), rec);
  // RENAME onto an existing key replaces it.
  ASSERT_EQ(cmd({"SET", "w", "string"}).str, "OK");
  EXPECT_EQ(cmd({"RENAME", "v", "w"}).str, "OK");
  EXPECT_EQ(get("w"), before);
  EXPECT_EQ(cmd({"RENAMENX", "w", "w2"}).integer, 1);
  EXPECT_EQ(get("w2"), before);
}

TEST_F(UserKey, ScanByType) {
  load(*c, {{"RECO.USER.SET", "u:1", "SEEN", "1", "a"},
            {"RECO.USER.SEEN.ADD", "u:2", "b"},
            {"SET", "s:1", "x"},
            {"HSET", "h:1", "f", "v"}});
  std::set<std::string> found;
  std::string cursor = "0";
  int rounds = 0;
  do {
    Reply r = cmd({"SCAN", cursor, "TYPE", "reco-user", "COUNT", "100"});
    ASSERT_TRUE(r.is_array()) << r.to_string();
    ASSERT_EQ(r.elements.size(), 2u);
    cursor = r.elements[0].str;
    for (auto& k : r.elements[1].strings()) found.insert(k);
  } while (cursor != "0" && ++rounds < 100);
  EXPECT_EQ(found, (std::set<std::string>{"u", "u:1", "u:2"}));
}

TEST_F(UserKey, CopyIsIndependent) {
  const std::string before = get("u");
  EXPECT_EQ(cmd({"COPY", "u", "u-copy"}).integer, 1);
  EXPECT_EQ(cmd({"TYPE", "u-copy"}).str, "reco-user");
  EXPECT_EQ(get("u-copy"), before);
  // Changing the copy leaves the original alone, and the other way round.
  ASSERT_EQ(cmd({"RECO.USER.SEEN.ADD", "u-copy", "a", "d"}).integer, 2);
  ASSERT_EQ(cmd({"RECO.USER.SET", "u-copy", "VALUES", "3", "0", "0", "1"}).str, "OK");
  EXPECT_EQ(get("u"), before);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "a"}).integer, 0);
  ASSERT_EQ(cmd({"RECO.USER.SEEN.DEL", "u", "b"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u-copy", "b"}).integer, 1);
  // Deleting the original keeps the copy intact (no shared memory freed twice).
  EXPECT_EQ(cmd({"DEL", "u"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.GET", "u-copy"}).as_map()["seen_count"].as_integer(), 3);
  // COPY onto an existing key needs REPLACE.
  ASSERT_EQ(cmd({"RECO.USER.SET", "other", "SEEN", "1", "z"}).str, "OK");
  EXPECT_EQ(cmd({"COPY", "u-copy", "other"}).integer, 0);
  EXPECT_EQ(cmd({"COPY", "u-copy", "other", "REPLACE"}).integer, 1);
  EXPECT_EQ(get("other"), get("u-copy"));
  // To another database.
  EXPECT_EQ(cmd({"COPY", "u-copy", "u-db1", "DB", "1"}).integer, 1);
  EXPECT_EQ(cmd({"SELECT", "1"}).str, "OK");
  EXPECT_EQ(cmd({"TYPE", "u-db1"}).str, "reco-user");
  EXPECT_EQ(cmd({"SELECT", "0"}).str, "OK");
}

TEST_F(UserKey, MoveAndSwapDb) {
  const std::string before = get("u");
  EXPECT_EQ(cmd({"MOVE", "u", "2"}).integer, 1);
  EXPECT_EQ(cmd({"EXISTS", "u"}).integer, 0);
  ASSERT_EQ(cmd({"SELECT", "2"}).str, "OK");
  EXPECT_EQ(get("u"), before);
  // Queries use the current database's key.
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "3"}).strings(),
            (std::vector<std::string>{"a", "d"}));  // b is seen
  ASSERT_EQ(cmd({"SELECT", "0"}).str, "OK");
  EXPECT_EQ(cmd({"SWAPDB", "0", "2"}).str, "OK");
  EXPECT_EQ(get("u"), before);
}

TEST_F(UserKey, FlushRemovesUsersButNotCatalogs) {
  ASSERT_EQ(cmd({"FLUSHDB"}).str, "OK");
  EXPECT_EQ(cmd({"EXISTS", "u"}).integer, 0);
  Reply info = cmd({"RECO.CATALOG.INFO", "c"});
  ASSERT_TRUE(info.is_array()) << info.to_string();
  EXPECT_EQ(info.as_map()["items"].as_integer(), 3);
}

}  // namespace
}  // namespace reco::test
