// Memory accounting: catalogs and users allocate through Redis, so INFO used_memory sees a
// catalog arrive and leave, and MEMORY USAGE of a user key reflects its seen-set at about
// 8 bytes an item.
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

class Memory : public ::testing::Test {
 protected:
  void SetUp() override { srv.start(RECO_MODULE_PATH); }
  long long used_memory() { return std::stoll(srv.info("memory")["used_memory"]); }
  RedisServer srv;
};

TEST_F(Memory, CatalogLoadAndDropShowInUsedMemory) {
  constexpr std::size_t kItems = 20000, kDim = 64;
  Client c = srv.client();
  const long long base = used_memory();
  std::mt19937_64 rng(1);
  std::vector<Args> cmds{{"RECO.CATALOG.CREATE", "big", "DIM", std::to_string(kDim)}};
  for (std::size_t i = 0; i < kItems; ++i)
    cmds.push_back({"RECO.ITEM.SET", "big", "item:" + std::to_string(i), "FP32",
                    fp32(random_vector(rng, kDim)), "TERMS", "1", "g" + std::to_string(i % 20),
                    "POPULARITY", std::to_string(i % 100)});
  {
    // Loaded on a connection of its own and closed, so its query buffer is not counted.
    Client loader = srv.client();
    load(loader, cmds);
  }
  const long long loaded = used_memory();
  const long long vectors = kItems * kDim * 4;  // 5.1 MB of floats alone
  EXPECT_GE(loaded - base, vectors) << "catalog memory is not counted in used_memory";
  EXPECT_LE(loaded - base, 4 * vectors) << "far more memory than the data needs";

  Reply info = c.cmd({"RECO.CATALOG.INFO", "big"});
  ASSERT_TRUE(info.is_array());
  long long reported = info.as_map()["memory_bytes"].as_integer();
  EXPECT_GE(reported, vectors);
  // The module's own estimate and what Redis counted agree within a factor of two.
  EXPECT_LE(reported, 2 * (loaded - base));
  EXPECT_GE(2 * reported, loaded - base);

  // A query must not leave memory behind in proportion to the catalog.
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(c.cmd({"RECO.RECOMMEND", "big", "nobody", "100"}).is_array());
  const long long after_queries = used_memory();
  EXPECT_LE(after_queries - loaded, vectors / 4);

  ASSERT_EQ(c.cmd({"RECO.CATALOG.DROP", "big"}).str, "OK");
  // Freed on a worker (the harness's server has workers): used_memory falls shortly after.
  long long dropped = used_memory();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (dropped - base > (loaded - base) / 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    dropped = used_memory();
  }
  EXPECT_LE(dropped - base, (loaded - base) / 10)
      << "DROP released only " << (loaded - dropped) << " of " << (loaded - base) << " bytes";
  EXPECT_TRUE(c.cmd({"RECO.CATALOG.INFO", "big"}).is_error());
}

TEST_F(Memory, UserKeyUsageTracksTheSeenSet) {
  Client c = srv.client();
  ASSERT_EQ(c.cmd({"RECO.USER.SET", "u", "VALUES", "4", "1", "2", "3", "4"}).str, "OK");
  const long long empty = c.cmd({"MEMORY", "USAGE", "u"}).integer;
  const long long mem_before = used_memory();
  Args add{"RECO.USER.SEEN.ADD", "u"};
  for (int i = 0; i < 10000; ++i) add.push_back("movie:" + std::to_string(i));
  ASSERT_EQ(c.cmd(add).integer, 10000);
  Reply usage = c.cmd({"MEMORY", "USAGE", "u"});
  ASSERT_TRUE(usage.is_integer()) << usage.to_string();
  const long long full = usage.integer;
  EXPECT_GE(full - empty, 10000 * 8) << "MEMORY USAGE ignores the seen-set";
  EXPECT_LE(full, 2 * 10000 * 8 + 2048) << "more than ~2x of 8 bytes an item";
  // The allocation itself is visible to Redis.
  EXPECT_GE(used_memory() - mem_before, 10000 * 8);

  // Removing half shrinks what is reported, or at least never grows it.
  Args del{"RECO.USER.SEEN.DEL", "u"};
  for (int i = 0; i < 5000; ++i) del.push_back("movie:" + std::to_string(i));
  ASSERT_EQ(c.cmd(del).integer, 5000);
  EXPECT_LE(c.cmd({"MEMORY", "USAGE", "u"}).integer, full);

  // A user built in one go with SEEN is as compact.
  Args set{"RECO.USER.SET", "v", "SEEN", "10000"};
  for (int i = 0; i < 10000; ++i) set.push_back("movie:" + std::to_string(i));
  ASSERT_EQ(c.cmd(set).str, "OK");
  long long v = c.cmd({"MEMORY", "USAGE", "v"}).integer;
  EXPECT_GE(v, 10000 * 8);
  EXPECT_LE(v, 2 * 10000 * 8 + 2048);
}

TEST_F(Memory, DeletingUsersReturnsTheirMemory) {
  Client c = srv.client();
  std::vector<Args> cmds;
  for (int u = 0; u < 50; ++u) {
    Args a{"RECO.USER.SET", "u:" + std::to_string(u), "SEEN", "1000"};
    for (int i = 0; i < 1000; ++i) a.push_back("m" + std::to_string(i));
    cmds.push_back(a);
  }
  Args del{"DEL"};
  for (int u = 0; u < 50; ++u) del.push_back("u:" + std::to_string(u));
  // The first round also grows the key space's hash table for good; measure from the
  // second, and require the third to end where the second began (nothing leaks per user).
  long long base = 0, loaded = 0;
  for (int round = 0; round < 3; ++round) {
    if (round == 1) base = used_memory();
    {
      Client loader = srv.client();
      load(loader, cmds);
    }
    loaded = used_memory();
    if (round > 0) {
      EXPECT_GE(loaded - base, 50 * 1000 * 8 * 9 / 10);  // other buffers move a little
    }
    ASSERT_EQ(c.cmd(del).integer, 50);
  }
  EXPECT_LE(used_memory() - base, (loaded - base) / 10);
}

}  // namespace
}  // namespace reco::test
