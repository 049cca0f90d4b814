// The Redis Functions library in lua/reco.lua, loaded into a real server with reco.so:
// a feed never repeats an item across pages, and a click moves the user's term
// preferences and seen-set the way the README says.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "redis_server.hpp"

using reco::test::RedisServer;
using reco::test::Reply;

namespace {

std::string read_library() {
  std::ifstream in(std::string(RECO_SOURCE_DIR) + "/lua/reco.lua");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LuaLibrary : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start(RECO_MODULE_PATH);
    Reply r = server_.cmd({"FUNCTION", "LOAD", "REPLACE", read_library()});
    ASSERT_FALSE(r.is_error()) << r.str;
    ASSERT_EQ(r.str, "reco");
    ASSERT_FALSE(server_.cmd({"RECO.CATALOG.CREATE", "m", "DIM", "2", "METRIC", "IP"}).is_error());
    // 30 items on a half circle; popularity decreasing with the index.
    for (int i = 0; i < 30; ++i) {
      const std::string id = "i" + std::to_string(i);
      const std::string x = std::to_string(1.0 - i / 30.0), y = std::to_string(i / 30.0);
      Reply s = server_.cmd({"RECO.ITEM.SET", "m", id, "VALUES", "2", x, y, "TERMS", "2",
                             i % 2 ? "odd" : "even", "all", "POPULARITY", std::to_string(100 - i)});
      ASSERT_FALSE(s.is_error()) << s.str;
    }
  }
  RedisServer server_;
};

TEST_F(LuaLibrary, FeedPagesNeverRepeatAndExhaustTheCatalog) {
  ASSERT_FALSE(server_.cmd({"RECO.USER.SET", "u", "VALUES", "2", "1", "0"}).is_error());
  std::set<std::string> shown;
  for (int page = 0; page < 3; ++page) {
    Reply r = server_.cmd({"FCALL", "reco_feed", "1", "u", "m", "10"});
    ASSERT_TRUE(r.is_array()) << r.to_string();
    ASSERT_EQ(r.elements.size(), 10u) << "page " << page;
    for (const std::string& id : r.strings()) EXPECT_TRUE(shown.insert(id).second) << id << " repeated";
  }
  EXPECT_EQ(shown.size(), 30u);
  EXPECT_EQ(server_.cmd({"FCALL", "reco_feed", "1", "u", "m", "10"}).elements.size(), 0u);
  // Shown items are now in the seen-set, the nearest one to (1, 0) among them.
  EXPECT_EQ(server_.cmd({"RECO.USER.SEEN.HAS", "u", "i0"}).integer, 1);
}

TEST_F(LuaLibrary, FeedPassesOptionsAndRefusesScores) {
  Reply r = server_.cmd({"FCALL", "reco_feed", "1", "cold", "m", "3", "EXCLUDE", "1", "i0"});
  ASSERT_TRUE(r.is_array()) << r.to_string();
  EXPECT_EQ(r.strings(), (std::vector<std::string>{"i1", "i2", "i3"}));  // popular order
  EXPECT_TRUE(server_.cmd({"FCALL", "reco_feed", "1", "u", "m", "3", "WITHSCORES"}).is_error());
  EXPECT_TRUE(server_.cmd({"FCALL", "reco_feed", "1", "u", "nope", "3"}).is_error());
}

TEST_F(LuaLibrary, ClickAddsTermWeightsAndSeen) {
  ASSERT_FALSE(server_.cmd({"RECO.USER.SET", "u", "TERMS", "1", "odd", "2"}).is_error());
  Reply r = server_.cmd({"FCALL", "reco_click", "1", "u", "m", "i3"});
  ASSERT_TRUE(r.is_array()) << r.to_string();
  EXPECT_EQ(r.strings(), (std::vector<std::string>{"odd", "3", "all", "1"}));
  r = server_.cmd({"FCALL", "reco_click", "1", "u", "m", "i4", "0.5"});
  EXPECT_EQ(r.strings(), (std::vector<std::string>{"odd", "3", "all", "1.5", "even", "0.5"}));
  EXPECT_EQ(server_.cmd({"RECO.USER.SEEN.HAS", "u", "i3"}).integer, 1);
  EXPECT_EQ(server_.cmd({"RECO.USER.SEEN.HAS", "u", "i4"}).integer, 1);
  Reply user = server_.cmd({"RECO.USER.GET", "u"});
  EXPECT_EQ(user.as_map().at("seen_count").integer, 2);
}

TEST_F(LuaLibrary, ClickRejectsBadInputAndChangesNothing) {
  EXPECT_TRUE(server_.cmd({"FCALL", "reco_click", "1", "u", "m", "missing"}).is_error());
  EXPECT_TRUE(server_.cmd({"FCALL", "reco_click", "1", "u", "m", "i1", "nan"}).is_error());
  EXPECT_TRUE(server_.cmd({"FCALL", "reco_click", "1", "u", "m", "i1", "inf"}).is_error());
  EXPECT_TRUE(server_.cmd({"FCALL", "reco_click", "0", "m", "i1"}).is_error());
  EXPECT_EQ(server_.cmd({"EXISTS", "u"}).integer, 0);
}

}  // namespace
