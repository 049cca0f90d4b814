// reco.so itself loads both ways the README gives: --loadmodule at start, and MODULE LOAD
// into a running server once enable-module-command allows it (Redis 7 refuses by default).
#include <gtest/gtest.h>

#include "redis_server.hpp"

using reco::test::RedisServer;

TEST(ModuleLoad, LoadModuleAtStart) {
  RedisServer s;
  s.start(RECO_MODULE_PATH);
  EXPECT_EQ(s.cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2"}).str, "OK");
  EXPECT_EQ(s.cmd({"RECO.CATALOG.LIST"}).strings(), std::vector<std::string>{"c"});
}

TEST(ModuleLoad, ModuleLoadNeedsEnableModuleCommand) {
  RedisServer s;
  s.start();
  auto r = s.cmd({"MODULE", "LOAD", RECO_MODULE_PATH});
  ASSERT_TRUE(r.is_error());
  EXPECT_NE(r.str.find("enable-module-command"), std::string::npos) << r.str;
  EXPECT_TRUE(s.cmd({"RECO.CATALOG.LIST"}).is_error());
}

TEST(ModuleLoad, ModuleLoadIntoARunningServer) {
  RedisServer s;
  s.start({}, {{"enable-module-command", "yes"}});
  ASSERT_EQ(s.cmd({"SET", "plain", "1"}).str, "OK");
  ASSERT_EQ(s.cmd({"MODULE", "LOAD", RECO_MODULE_PATH}).str, "OK");
  EXPECT_EQ(s.cmd({"RECO.USER.SET", "u", "VALUES", "2", "1", "0"}).str, "OK");
  EXPECT_EQ(s.cmd({"TYPE", "u"}).str, "reco-user");
  EXPECT_EQ(s.cmd({"GET", "plain"}).str, "1");
  // A second copy under the same name is refused and the first keeps serving.
  EXPECT_TRUE(s.cmd({"MODULE", "LOAD", RECO_MODULE_PATH}).is_error());
  EXPECT_EQ(s.cmd({"RECO.USER.GET", "u"}).as_map().at("vector").strings(),
            (std::vector<std::string>{"1", "0"}));
}
