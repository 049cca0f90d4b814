// INFO reco_commands (calls, errors and latency percentiles per command, inline and on the
// workers, a blocked call timed until its reply) and the LATENCY monitor's reco events.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

// "calls=3,errors=1,p50_us=…" -> {calls: 3, …}
std::map<std::string, long long> fields(const std::string& value) {
  std::map<std::string, long long> out;
  std::stringstream in(value);
  std::string part;
  while (std::getline(in, part, ',')) {
    const auto eq = part.find('=');
    if (eq != std::string::npos) out[part.substr(0, eq)] = std::stoll(part.substr(eq + 1));
  }
  return out;
}

class CommandStats : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    srv.start(RECO_MODULE_PATH);
    ASSERT_EQ(srv.cmd({"CONFIG", "SET", "reco.threads", std::to_string(GetParam())}).str, "OK");
    Client c = srv.client();
    std::vector<Args> cmds{{"RECO.CATALOG.CREATE", "c", "DIM", "2", "METRIC", "IP"}};
    for (int i = 0; i < 50; ++i)
      cmds.push_back({"RECO.ITEM.SET", "c", "i" + std::to_string(i), "VALUES", "2", text(0.02f * i), "1"});
    cmds.push_back({"RECO.USER.SET", "u", "VALUES", "2", "1", "0"});
    load(c, cmds);
  }
  std::map<std::string, long long> stats(const std::string& name) {
    auto section = srv.info("reco_commands");
    auto it = section.find("reco_" + name);
    return it == section.end() ? std::map<std::string, long long>{} : fields(it->second);
  }
  RedisServer srv;
};

TEST_P(CommandStats, CountsCallsErrorsAndLatency) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(srv.cmd({"RECO.RECOMMEND", "c", "u", "5"}).is_array());
  ASSERT_TRUE(srv.cmd({"RECO.RECOMMEND", "c", "u", "0"}).is_error());         // refused while parsing
  ASSERT_TRUE(srv.cmd({"RECO.RECOMMEND", "nope", "u", "5"}).is_error());      // no such catalog
  ASSERT_TRUE(srv.cmd({"RECO.CATALOG.CONFIG", "GET", "c"}).is_array());
  auto rec = stats("recommend");
  EXPECT_EQ(rec["calls"], 9);
  EXPECT_EQ(rec["errors"], 2);
  EXPECT_GT(rec["max_us"], 0);
  EXPECT_LE(rec["p50_us"], rec["p99_us"]);
  EXPECT_LE(rec["p99_us"], rec["p999_us"]);
  EXPECT_LE(rec["p999_us"], rec["max_us"]);
  EXPECT_EQ(stats("item_set")["calls"], 50);
  EXPECT_EQ(stats("catalog_config_get")["calls"], 1);
  EXPECT_TRUE(stats("knn").empty());  // never called: no field
  // INFO reco includes the section.
  EXPECT_NE(srv.cmd({"INFO", "reco"}).str.find("# reco_commands"), std::string::npos);
  if (GetParam() > 0) {
    auto info = srv.info("reco");
    EXPECT_GE(std::stoll(info["reco_queries_threaded"]), 7);  // the calls above ran on workers
  }
}

TEST_P(CommandStats, SlowCallsReachTheLatencyMonitor) {
  ASSERT_EQ(srv.cmd({"CONFIG", "SET", "latency-monitor-threshold", "1"}).str, "OK");
  // 100,000 ids in one SEEN.ADD: tens of milliseconds on any machine.
  Args add{"RECO.USER.SEEN.ADD", "u"};
  for (int i = 0; i < 100000; ++i) add.push_back("s" + std::to_string(i));
  ASSERT_EQ(srv.cmd(add).integer, 100000);
  Reply latest = srv.cmd({"LATENCY", "LATEST"});
  bool found = false;
  for (const Reply& e : latest.elements)
    if (!e.elements.empty() && e.elements[0].str == "reco.user.seen.add") found = true;
  EXPECT_TRUE(found) << latest.to_string();
  EXPECT_GE(stats("user_seen_add")["max_us"], 1000);
}

INSTANTIATE_TEST_SUITE_P(Threads, CommandStats, ::testing::Values(0, 2),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

}  // namespace
}  // namespace reco::test
