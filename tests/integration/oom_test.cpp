// Writes under maxmemory: every kind of write is refused with an OOM error once memory is
// over the limit, commands that free memory still work, and a write whose growth step
// would cross the limit (a doubling array, a large model) is refused before it is taken,
// leaving the catalog exactly as it was (digest, counts, the refused item absent). The
// server stays up and answers throughout.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "model_file.hpp"
#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

// 512 floats a row: the flat index's row array is 8 MiB at 4,096 items and the 4,097th
// item doubles it in one 16 MiB step.
constexpr std::size_t kDim = 512, kItems = 4096;

class OutOfMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    srv.start(RECO_MODULE_PATH);
    ASSERT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "c", "DIM", std::to_string(kDim), "INDEX", "FLAT"}).str, "OK");
    std::mt19937_64 rng(7);
    std::vector<Args> cmds;
    for (std::size_t i = 0; i < kItems; ++i)
      cmds.push_back({"RECO.ITEM.SET", "c", "i" + std::to_string(i), "FP32", fp32(random_vector(rng, kDim)),
                      "TERMS", "1", i % 2 ? "Action" : "Drama", "POPULARITY", std::to_string(i % 50)});
    {
      Client loader = srv.client();
      load(loader, cmds);
    }
    ASSERT_EQ(srv.cmd({"RECO.USER.SET", "user:1", "SEEN", "2", "i1", "i2"}).str, "OK");
  }

  long long used_memory() { return std::stoll(srv.info("memory")["used_memory"]); }
  void set_maxmemory(long long bytes) {
    ASSERT_EQ(srv.cmd({"CONFIG", "SET", "maxmemory", std::to_string(bytes)}).str, "OK");
  }
  std::string field(const std::string& name) {
    Reply r = srv.cmd({"RECO.CATALOG.INFO", "c"}).as_map()[name];
    if (r.is_integer()) return std::to_string(r.integer);
    return r.is_string() ? r.str : r.to_string();
  }
  std::string vector_blob(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    return fp32(random_vector(rng, kDim));
  }

  RedisServer srv;
};

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

TEST_F(OutOfMemory, EveryWriteIsRefusedOverTheLimitAndFreeingStillWorks) {
  TestModel model(3, false);
  const std::string model_bytes = model.bytes();
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "c", "v0", model_bytes}).str, "OK");
  const std::string digest = field("digest");
  set_maxmemory(1);  // far below what the server holds: Redis refuses deny-oom commands
  const std::vector<Args> writes{
      {"RECO.CATALOG.CREATE", "d", "DIM", "4"},
      {"RECO.CATALOG.CONFIG", "SET", "c", "EXACT_BELOW", "100"},
      {"RECO.ITEM.SET", "c", "new", "FP32", vector_blob(1)},
      {"RECO.ITEM.SET", "c", "i1", "POPULARITY", "99"},
      {"RECO.USER.SET", "user:2", "SEEN", "1", "i3"},
      {"RECO.USER.SEEN.ADD", "user:1", "i4"},
      {"RECO.MODEL.PUT", "c", "v1", model_bytes},
  };
  for (const Args& w : writes) {
    Reply r = srv.cmd(w);
    EXPECT_TRUE(r.is_error() && starts_with(r.str, "OOM")) << join(w) << " -> " << r.to_string();
  }
  EXPECT_EQ(field("digest"), digest);
  EXPECT_EQ(field("items"), std::to_string(kItems));
  // Reads answer; removing things frees memory and is allowed.
  EXPECT_TRUE(srv.cmd({"RECO.RECOMMEND", "c", "user:1", "10"}).is_array());
  EXPECT_EQ(srv.cmd({"RECO.ITEM.DEL", "c", "i0"}).as_integer(), 1);
  EXPECT_EQ(srv.cmd({"RECO.USER.SEEN.DEL", "user:1", "i1"}).as_integer(), 1);
  EXPECT_EQ(srv.cmd({"RECO.MODEL.DEL", "c", "v0", "FORCE"}).as_integer(), 1);
  EXPECT_EQ(srv.cmd({"RECO.CATALOG.DROP", "c"}).str, "OK");
  set_maxmemory(0);
  EXPECT_EQ(srv.cmd({"PING"}).str, "PONG");
}

TEST_F(OutOfMemory, AGrowthStepThatWouldCrossMaxmemoryIsRefusedBeforeItIsTaken) {
  const std::string digest = field("digest"), version = field("version");
  // 4 MiB of room: below the 16 MiB doubling of the row array, above any one small write.
  set_maxmemory(used_memory() + (4 << 20));
  Reply r = srv.cmd({"RECO.ITEM.SET", "c", "new", "FP32", vector_blob(1), "TERMS", "1", "Drama"});
  ASSERT_TRUE(r.is_error()) << r.to_string();
  EXPECT_TRUE(starts_with(r.str, "OOM reco: a step of ")) << r.str;
  EXPECT_NE(r.str.find("would cross maxmemory"), std::string::npos) << r.str;
  // Nothing changed: the same contents, the same change count, the item absent, its term's
  // postings and the popular order as they were.
  EXPECT_EQ(field("digest"), digest);
  EXPECT_EQ(field("version"), version);
  EXPECT_EQ(field("items"), std::to_string(kItems));
  EXPECT_TRUE(srv.cmd({"RECO.ITEM.GET", "c", "new"}).is_nil());
  Reply drama = srv.cmd({"RECO.RECOMMEND", "c", "nobody", "5", "HASTERM", "1", "Drama"});
  ASSERT_TRUE(drama.is_array()) << drama.to_string();
  EXPECT_FALSE(drama.elements.empty());
  EXPECT_EQ(drama.to_string().find("\"new\""), std::string::npos) << drama.to_string();
  // Writes that take no large step still go through under the same limit.
  EXPECT_EQ(srv.cmd({"RECO.ITEM.SET", "c", "i5", "POPULARITY", "77"}).as_integer(), 0);
  EXPECT_EQ(srv.cmd({"RECO.ITEM.SET", "c", "i6", "FP32", vector_blob(2)}).as_integer(), 0);
  EXPECT_EQ(srv.cmd({"RECO.USER.SEEN.ADD", "user:1", "i7"}).as_integer(), 1);
  // With room for the step the same write succeeds, and the catalog serves it.
  set_maxmemory(used_memory() + (64 << 20));
  EXPECT_EQ(srv.cmd({"RECO.ITEM.SET", "c", "new", "FP32", vector_blob(1), "TERMS", "1", "Drama"}).as_integer(), 1);
  EXPECT_EQ(field("items"), std::to_string(kItems + 1));
  EXPECT_FALSE(srv.cmd({"RECO.ITEM.GET", "c", "new"}).is_nil());
  set_maxmemory(0);
}

TEST_F(OutOfMemory, ALargeModelIsRefusedWhileItIsBuiltAndTheActiveOneStays) {
  TestModel small(3, false);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "c", "v0", small.bytes(), "ACTIVATE"}).str, "OK");
  // A model whose item-id vocabulary (200,000 entries: embeddings, the vocabulary map and
  // the JSON tree) needs far more memory to parse than the room left below.
  TestModel big(4, false);
  big.items.clear();
  for (int i = 0; i < 200000; ++i) big.items.push_back("i" + std::to_string(i));
  std::mt19937_64 rng(5);
  std::normal_distribution<float> d(0.0f, 0.1f);
  big.w["linear.item_id"].assign(big.items.size() + 1, 0.0f);
  big.w["embed.item_id"].resize((big.items.size() + 1) * TestModel::kDim);
  for (float& x : big.w["embed.item_id"]) x = d(rng);
  const std::string big_bytes = big.bytes();
  const std::string digest = field("digest");
  // Room for the file as the command's argument (the query buffer holds up to twice its
  // size) and 8 MiB more, so Redis lets the command in, but not for its parse (~10x the file).
  set_maxmemory(used_memory() + 2 * static_cast<long long>(big_bytes.size()) + (8 << 20));
  Reply r = srv.cmd({"RECO.MODEL.PUT", "c", "v1", big_bytes, "ACTIVATE"});
  ASSERT_TRUE(r.is_error()) << r.to_string();
  EXPECT_TRUE(starts_with(r.str, "OOM reco: a step of ")) << r.str;
  EXPECT_EQ(field("digest"), digest);
  Reply list = srv.cmd({"RECO.MODEL.LIST", "c"});
  ASSERT_EQ(list.elements.size(), 1u) << list.to_string();
  EXPECT_EQ(list.elements[0].elements[0].str, "v0");
  EXPECT_TRUE(srv.cmd({"RECO.SCORE", "c", "user:1", "2", "i1", "i2"}).is_array());
  set_maxmemory(0);
  EXPECT_EQ(srv.cmd({"RECO.MODEL.PUT", "c", "v1", big_bytes}).str, "OK");
}

}  // namespace
}  // namespace reco::test
