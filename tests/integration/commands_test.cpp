// Command behaviour of reco.so against a real redis-server: every command's happy path and
// the exact shape of its reply, as documented in the README's command reference.
//
// One server serves the whole suite (starting one per test would dominate the runtime);
// each test starts from an empty keyspace and no catalogs. The catalogs used for queries are
// tiny and laid out by hand (IP metric, axis-aligned vectors, distinct popularities) so that
// every expected order follows from the documented scoring, not from a recorded run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "redis_server.hpp"

using reco::test::Reply;
using reco::test::RedisServer;

namespace {

constexpr const char* kModule = RECO_MODULE_PATH;

std::string fp32(std::initializer_list<float> values) {
  std::string out(values.size() * sizeof(float), '\0');
  std::memcpy(out.data(), std::data(values), out.size());
  return out;
}

// The item-id fingerprint the seen-set stores. It is fixed forever (it is persisted), so the
// test states it independently: FNV-1a 64, then a murmur3 finaliser.
std::uint64_t fingerprint(std::string_view id) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

class Commands : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RedisServer();
    server_->start(kModule);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(cmd({"FLUSHALL"}).str, "OK");
    for (const std::string& name : cmd({"RECO.CATALOG.LIST"}).strings()) {
      ASSERT_EQ(cmd({"RECO.CATALOG.DROP", name}).str, "OK");
    }
  }

  static Reply cmd(const std::vector<std::string>& args) { return server_->cmd(args); }

  // Catalog "c", IP metric, dim 2:
  //   a (1, 0)      popularity 1
  //   b (0.8, 0.2)  popularity 2
  //   c (0, 1)      popularity 3
  //   d (-1, 0)     popularity 4
  // Scores against (1, 0): a 1, b 0.8, c 0, d -1. Popular order: d, c, b, a.
  static void make_catalog() {
    ASSERT_EQ(cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2", "METRIC", "IP"}).str, "OK");
    ASSERT_EQ(cmd({"RECO.ITEM.SET", "c", "a", "VALUES", "2", "1", "0", "POPULARITY", "1"}).integer, 1);
    ASSERT_EQ(cmd({"RECO.ITEM.SET", "c", "b", "VALUES", "2", "0.8", "0.2", "POPULARITY", "2"}).integer, 1);
    ASSERT_EQ(cmd({"RECO.ITEM.SET", "c", "c", "FP32", fp32({0, 1}), "POPULARITY", "3"}).integer, 1);
    ASSERT_EQ(cmd({"RECO.ITEM.SET", "c", "d", "VALUES", "2", "-1", "0", "POPULARITY", "4"}).integer, 1);
  }

  static RedisServer* server_;
};

RedisServer* Commands::server_ = nullptr;

std::vector<std::string> ids_of_pairs(const Reply& r) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < r.elements.size(); i += 2) ids.push_back(r.elements[i].str);
  return ids;
}

// ---- catalogs ---------------------------------------------------------------------------

TEST_F(Commands, CatalogCreateInfoListDrop) {
  EXPECT_EQ(cmd({"RECO.CATALOG.CREATE", "movies", "DIM", "3"}).str, "OK");
  EXPECT_EQ(cmd({"reco.catalog.create", "books", "metric", "l2", "dim", "8"}).str, "OK");

  auto info = cmd({"RECO.CATALOG.INFO", "movies"});
  ASSERT_TRUE(info.is_array()) << info.to_string();
  std::vector<std::string> names;
  for (std::size_t i = 0; i < info.elements.size(); i += 2) names.push_back(info.elements[i].str);
  EXPECT_EQ(names, (std::vector<std::string>{"name", "dim", "metric", "bias_dim", "items", "items_with_vector",
                                             "terms", "index", "index_type", "index_search",
                                             "index_m", "index_ef_construction",
                                             "index_ef_runtime", "index_quant", "index_keep_float",
                                             "index_exact_below", "index_memory_bytes",
                                             "memory_bytes", "version", "digest"}));
  auto m = info.as_map();
  EXPECT_EQ(m.at("name").str, "movies");
  EXPECT_EQ(m.at("dim").integer, 3);
  EXPECT_EQ(m.at("metric").str, "COSINE");  // the default
  EXPECT_EQ(m.at("items").integer, 0);
  EXPECT_EQ(m.at("items_with_vector").integer, 0);
  EXPECT_EQ(m.at("terms").integer, 0);
  // AUTO: a graph kept from the start, searched exactly while the catalog is small.
  EXPECT_EQ(m.at("index").str, "hnsw");
  EXPECT_EQ(m.at("index_type").str, "AUTO");
  EXPECT_EQ(m.at("index_search").str, "exact");
  EXPECT_EQ(m.at("index_exact_below").integer, 20000);
  EXPECT_GT(m.at("memory_bytes").integer, 0);
  EXPECT_TRUE(m.at("version").is_integer());
  EXPECT_EQ(cmd({"RECO.CATALOG.INFO", "books"}).as_map().at("metric").str, "L2");

  EXPECT_EQ(cmd({"RECO.CATALOG.LIST"}).strings(), (std::vector<std::string>{"books", "movies"}));
  EXPECT_EQ(cmd({"RECO.CATALOG.CREATE", "movies", "DIM", "3"}).str,
            "ERR catalog 'movies' already exists");

  EXPECT_EQ(cmd({"RECO.CATALOG.DROP", "movies"}).str, "OK");
  EXPECT_EQ(cmd({"RECO.CATALOG.LIST"}).strings(), (std::vector<std::string>{"books"}));
  EXPECT_EQ(cmd({"RECO.CATALOG.DROP", "movies"}).str, "ERR no such catalog 'movies'");
  EXPECT_EQ(cmd({"RECO.CATALOG.INFO", "movies"}).str, "ERR no such catalog 'movies'");
}

TEST_F(Commands, CatalogVersionMovesWithWrites) {
  ASSERT_EQ(cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2"}).str, "OK");
  long long v0 = cmd({"RECO.CATALOG.INFO", "c"}).as_map().at("version").integer;
  ASSERT_EQ(cmd({"RECO.ITEM.SET", "c", "x", "VALUES", "2", "1", "2"}).integer, 1);
  long long v1 = cmd({"RECO.CATALOG.INFO", "c"}).as_map().at("version").integer;
  EXPECT_GT(v1, v0);
  ASSERT_EQ(cmd({"RECO.ITEM.DEL", "c", "x"}).integer, 1);
  EXPECT_GT(cmd({"RECO.CATALOG.INFO", "c"}).as_map().at("version").integer, v1);
}

// ---- items ------------------------------------------------------------------------------

TEST_F(Commands, ItemSetCreatesThenUpdatesOnlyGivenFields) {
  ASSERT_EQ(cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2", "METRIC", "IP"}).str, "OK");
  EXPECT_EQ(cmd({"RECO.ITEM.SET", "c", "m1", "VALUES", "2", "0.5", "-2", "TERMS", "2", "action",
                 "drama", "POPULARITY", "12.5", "TIME", "1700000000", "FEATURES", "2", "year",
                 "1999", "lang", "en"})
                .integer,
            1);
  auto r = cmd({"RECO.ITEM.GET", "c", "m1"});
  ASSERT_TRUE(r.is_array()) << r.to_string();
  std::vector<std::string> names;
  for (std::size_t i = 0; i < r.elements.size(); i += 2) names.push_back(r.elements[i].str);
  EXPECT_EQ(names, (std::vector<std::string>{"vector", "terms", "popularity", "time", "features"}));
  auto m = r.as_map();
  EXPECT_EQ(m.at("vector").strings(), (std::vector<std::string>{"0.5", "-2"}));
  EXPECT_EQ(m.at("terms").strings(), (std::vector<std::string>{"action", "drama"}));
  EXPECT_DOUBLE_EQ(m.at("popularity").as_double(), 12.5);
  EXPECT_EQ(m.at("time").integer, 1700000000);
  EXPECT_EQ(m.at("features").strings(), (std::vector<std::string>{"year", "1999", "lang", "en"}));

  // An update: 0, and the fields not given keep their values; TERMS replaces the list.
  EXPECT_EQ(cmd({"RECO.ITEM.SET", "c", "m1", "TERMS", "1", "comedy", "POPULARITY", "3"}).integer, 0);
  m = cmd({"RECO.ITEM.GET", "c", "m1"}).as_map();
  EXPECT_EQ(m.at("vector").strings(), (std::vector<std::string>{"0.5", "-2"}));
  EXPECT_EQ(m.at("terms").strings(), (std::vector<std::string>{"comedy"}));
  EXPECT_DOUBLE_EQ(m.at("popularity").as_double(), 3);
  EXPECT_EQ(m.at("time").integer, 1700000000);
  EXPECT_EQ(m.at("features").strings().size(), 4u);

  auto info = cmd({"RECO.CATALOG.INFO", "c"}).as_map();
  EXPECT_EQ(info.at("items").integer, 1);
  EXPECT_EQ(info.at("items_with_vector").integer, 1);
  EXPECT_EQ(info.at("terms").integer, 1);  // "action" and "drama" left with the old list
}

TEST_F(Commands, ItemWithoutFieldsGetsDefaults) {
  ASSERT_EQ(cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2"}).str, "OK");
  EXPECT_EQ(cmd({"RECO.ITEM.SET", "c", "bare"}).integer, 1);
  auto m = cmd({"RECO.ITEM.GET", "c", "bare"}).as_map();
  EXPECT_TRUE(m.at("vector").is_nil());
  EXPECT_TRUE(m.at("terms").elements.empty());
  EXPECT_DOUBLE_EQ(m.at("popularity").as_double(), 0);
  EXPECT_EQ(m.at("time").integer, 0);
  EXPECT_TRUE(m.at("features").elements.empty());
}

TEST_F(Commands, ItemVectorIsStoredUnitLengthUnderCosine) {
  ASSERT_EQ(cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2"}).str, "OK");
  ASSERT_EQ(cmd({"RECO.ITEM.SET", "c", "x", "FP32", fp32({3, 4})}).integer, 1);
  auto v = cmd({"RECO.ITEM.GET", "c", "x"}).as_map().at("vector");
  ASSERT_EQ(v.elements.size(), 2u);
  EXPECT_NEAR(v.elements[0].as_double(), 0.6, 1e-6);
  EXPECT_NEAR(v.elements[1].as_double(), 0.8, 1e-6);
}

TEST_F(Commands, ItemIdsAreBinarySafe) {
  ASSERT_EQ(cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2", "METRIC", "IP"}).str, "OK");
  const std::string id("it\0em\r\n", 7);
  ASSERT_EQ(cmd({"RECO.ITEM.SET", "c", id, "VALUES", "2", "1", "0"}).integer, 1);
  EXPECT_TRUE(cmd({"RECO.ITEM.GET", "c", id}).is_array());
  EXPECT_TRUE(cmd({"RECO.ITEM.GET", "c", "it"}).is_nil());
  EXPECT_EQ(cmd({"RECO.KNN", "c", "1", "VALUES", "2", "1", "0"}).strings(),
            (std::vector<std::string>{id}));
}

TEST_F(Commands, ItemDelCountsAndGetOfMissingIsNil) {
  make_catalog();
  EXPECT_EQ(cmd({"RECO.ITEM.DEL", "c", "a", "b", "nope", "a"}).integer, 2);
  EXPECT_TRUE(cmd({"RECO.ITEM.GET", "c", "a"}).is_nil());
  EXPECT_TRUE(cmd({"RECO.ITEM.GET", "c", "c"}).is_array());
  EXPECT_EQ(cmd({"RECO.CATALOG.INFO", "c"}).as_map().at("items").integer, 2);
  EXPECT_EQ(cmd({"RECO.ITEM.DEL", "c", "nope"}).integer, 0);
  EXPECT_EQ(cmd({"RECO.ITEM.GET", "nocat", "a"}).str, "ERR no such catalog 'nocat'");
}

TEST_F(Commands, ItemSetRejectsAndChangesNothing) {
  make_catalog();
  auto before = cmd({"RECO.ITEM.GET", "c", "a"}).to_string();
  EXPECT_EQ(cmd({"RECO.ITEM.SET", "c", "a", "POPULARITY", "9", "VALUES", "3", "1", "2", "3"}).str,
            "ERR VALUES count 3 does not match catalog dimension 2");
  EXPECT_EQ(cmd({"RECO.ITEM.SET", "c", "a", "POPULARITY", "9", "BOGUS"}).str,
            "ERR unknown option 'BOGUS'");
  EXPECT_EQ(cmd({"RECO.ITEM.SET", "c", "a", "TERMS", "3", "x", "y"}).str,
            "ERR TERMS count 3 needs 3 arguments, only 2 arguments follow");
  EXPECT_EQ(cmd({"RECO.ITEM.GET", "c", "a"}).to_string(), before);
  EXPECT_TRUE(cmd({"RECO.ITEM.GET", "c", "new"}).is_nil());
  EXPECT_EQ(cmd({"RECO.ITEM.SET", "c", "new", "TIME", "soon"}).str,
            "ERR TIME must be an integer between -9223372036854775808 and 9223372036854775807");
  EXPECT_TRUE(cmd({"RECO.ITEM.GET", "c", "new"}).is_nil());
}

// ---- users ------------------------------------------------------------------------------

TEST_F(Commands, UserSetGetAndPartialUpdate) {
  EXPECT_TRUE(cmd({"RECO.USER.GET", "u"}).is_nil());
  EXPECT_EQ(cmd({"RECO.USER.SET", "u", "VALUES", "3", "0.25", "1", "-3", "TERMS", "2", "drama", "2",
                 "comedy", "0.5", "FEATURES", "2", "gender", "F", "age", "25", "SEEN", "2", "m1",
                 "m2"})
                .str,
            "OK");
  EXPECT_EQ(cmd({"TYPE", "u"}).str, "reco-user");

  auto r = cmd({"RECO.USER.GET", "u"});
  ASSERT_TRUE(r.is_array()) << r.to_string();
  std::vector<std::string> names;
  for (std::size_t i = 0; i < r.elements.size(); i += 2) names.push_back(r.elements[i].str);
  EXPECT_EQ(names, (std::vector<std::string>{"vector", "terms", "features", "seen_count"}));
  auto m = r.as_map();
  EXPECT_EQ(m.at("vector").strings(), (std::vector<std::string>{"0.25", "1", "-3"}));
  EXPECT_EQ(m.at("terms").strings(), (std::vector<std::string>{"drama", "2", "comedy", "0.5"}));
  EXPECT_EQ(m.at("features").strings(), (std::vector<std::string>{"gender", "F", "age", "25"}));
  EXPECT_EQ(m.at("seen_count").integer, 2);

  // Given fields replace, the others stay; SEEN replaces the whole seen-set.
  EXPECT_EQ(cmd({"RECO.USER.SET", "u", "FP32", fp32({1, 2}), "SEEN", "1", "m9"}).str, "OK");
  m = cmd({"RECO.USER.GET", "u"}).as_map();
  EXPECT_EQ(m.at("vector").strings(), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(m.at("terms").strings().size(), 4u);
  EXPECT_EQ(m.at("features").strings().size(), 4u);
  EXPECT_EQ(m.at("seen_count").integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "m9"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "m1"}).integer, 0);

  // An empty SET creates an empty profile.
  EXPECT_EQ(cmd({"RECO.USER.SET", "empty"}).str, "OK");
  m = cmd({"RECO.USER.GET", "empty"}).as_map();
  EXPECT_TRUE(m.at("vector").is_nil());
  EXPECT_TRUE(m.at("terms").elements.empty());
  EXPECT_EQ(m.at("seen_count").integer, 0);
}

TEST_F(Commands, UsersAreOrdinaryKeys) {
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "VALUES", "2", "1", "2"}).str, "OK");
  EXPECT_EQ(cmd({"EXISTS", "u"}).integer, 1);
  EXPECT_GT(cmd({"MEMORY", "USAGE", "u"}).integer, 0);
  EXPECT_EQ(cmd({"COPY", "u", "u2"}).integer, 1);
  EXPECT_EQ(cmd({"RENAME", "u", "u3"}).str, "OK");
  EXPECT_EQ(cmd({"RECO.USER.GET", "u3"}).as_map().at("vector").strings(),
            (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(cmd({"RECO.USER.GET", "u2"}).as_map().at("vector").strings(),
            (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(cmd({"DEL", "u2", "u3"}).integer, 2);
  EXPECT_TRUE(cmd({"RECO.USER.GET", "u3"}).is_nil());
}

TEST_F(Commands, SeenAddDelHas) {
  EXPECT_EQ(cmd({"RECO.USER.SEEN.ADD", "u", "a", "b", "a"}).integer, 2);  // creates the key
  EXPECT_EQ(cmd({"TYPE", "u"}).str, "reco-user");
  EXPECT_EQ(cmd({"RECO.USER.SEEN.ADD", "u", "b", "c"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "c"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "z"}).integer, 0);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.DEL", "u", "a", "z"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "a"}).integer, 0);
  EXPECT_EQ(cmd({"RECO.USER.GET", "u"}).as_map().at("seen_count").integer, 2);
  // A missing key holds nothing and is not created by reads or removals.
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "nobody", "a"}).integer, 0);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.DEL", "nobody", "a"}).integer, 0);
  EXPECT_EQ(cmd({"EXISTS", "nobody"}).integer, 0);
}

TEST_F(Commands, SeenFpRestoresASeenSetFromFingerprints) {
  std::string blob;
  for (const char* id : {"m1", "m7"}) {
    std::uint64_t fp = fingerprint(id);
    blob.append(reinterpret_cast<const char*>(&fp), sizeof fp);
  }
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "SEENFP", blob}).str, "OK");
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "m1"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "m7"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "m2"}).integer, 0);
  EXPECT_EQ(cmd({"RECO.USER.SET", "u", "SEENFP", "1234567"}).str,
            "ERR SEENFP blob must be a multiple of 8 bytes (little-endian uint64 values)");
  EXPECT_EQ(cmd({"RECO.USER.SET", "u", "SEEN", "1", "x", "SEENFP", blob}).str,
            "ERR only one of SEEN and SEENFP may be given");
}

TEST_F(Commands, UserCommandsOnAnotherTypeAreWrongType) {
  ASSERT_EQ(cmd({"SET", "s", "x"}).str, "OK");
  const std::string wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
  EXPECT_EQ(cmd({"RECO.USER.SET", "s", "VALUES", "1", "1"}).str, wrongtype);
  EXPECT_EQ(cmd({"RECO.USER.GET", "s"}).str, wrongtype);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.ADD", "s", "a"}).str, wrongtype);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.DEL", "s", "a"}).str, wrongtype);
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "s", "a"}).str, wrongtype);
  EXPECT_EQ(cmd({"GET", "s"}).str, "x");
}

// ---- queries ----------------------------------------------------------------------------

TEST_F(Commands, RecommendFollowsTheUserVectorAndSkipsSeen) {
  make_catalog();
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "VALUES", "2", "1", "0"}).str, "OK");
  // Defaults: a is the vector source's first (1.0); the best any other item reaches is
  // 0.995 (vector rank 1, or vector rank 3 plus the popular source's first place).
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "1"}).strings(), (std::vector<std::string>{"a"}));

  // Without the popular share the order is the vector order, scores 1 - rank/200.
  auto r = cmd({"RECO.RECOMMEND", "c", "u", "4", "WITHSCORES", "WEIGHT", "POPULAR", "0"});
  ASSERT_TRUE(r.is_array()) << r.to_string();
  ASSERT_EQ(r.elements.size(), 8u);
  EXPECT_EQ(ids_of_pairs(r), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_NEAR(r.elements[1].as_double(), 1.0, 1e-9);
  EXPECT_NEAR(r.elements[3].as_double(), 0.995, 1e-9);
  EXPECT_NEAR(r.elements[5].as_double(), 0.99, 1e-9);
  EXPECT_NEAR(r.elements[7].as_double(), 0.985, 1e-9);

  ASSERT_EQ(cmd({"RECO.USER.SEEN.ADD", "u", "a"}).integer, 1);
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "2", "WEIGHT", "POPULAR", "0"}).strings(),
            (std::vector<std::string>{"b", "c"}));
  // K larger than what is left: every unseen item, once.
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "10", "WEIGHT", "POPULAR", "0"}).strings(),
            (std::vector<std::string>{"b", "c", "d"}));
}

TEST_F(Commands, RecommendForAMissingUserIsPopularOrder) {
  make_catalog();
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "nobody", "3"}).strings(),
            (std::vector<std::string>{"d", "c", "b"}));
  EXPECT_EQ(cmd({"EXISTS", "nobody"}).integer, 0);
}

TEST_F(Commands, RecommendExcludeAndSessionItemsNeverAppear) {
  make_catalog();
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "VALUES", "2", "1", "0"}).str, "OK");
  auto ids = cmd({"RECO.RECOMMEND", "c", "u", "10", "EXCLUDE", "2", "a", "gone", "SESSION", "1", "c"})
                 .strings();
  EXPECT_EQ(ids, (std::vector<std::string>{"b", "d"}));
}

TEST_F(Commands, RecommendBudgetAndWeightShapeTheBlend) {
  make_catalog();
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "VALUES", "2", "1", "0"}).str, "OK");
  // Without vector recall only the popular source is left: popular order.
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "4", "BUDGET", "VECTOR", "0"}).strings(),
            (std::vector<std::string>{"d", "c", "b", "a"}));
  // A popular weight far above the vector weight also puts popular order first.
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "4", "WEIGHT", "popular", "100", "WEIGHT", "vector",
                 "0.5"})
                .strings(),
            (std::vector<std::string>{"d", "c", "b", "a"}));
  // A popular budget of 1 recalls only the most popular item: the rest come from vectors.
  auto m = cmd({"RECO.RECOMMEND", "c", "u", "4", "BUDGET", "POPULAR", "1", "EXPLAIN"}).as_map();
  auto stats = m.at("stats").as_map();
  EXPECT_EQ(stats.at("recalled_popular").integer, 1);
  EXPECT_EQ(stats.at("recalled_vector").integer, 4);
}

TEST_F(Commands, RecommendExplainShape) {
  make_catalog();
  ASSERT_EQ(cmd({"RECO.ITEM.SET", "c", "b", "TERMS", "1", "drama"}).integer, 0);
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "VALUES", "2", "1", "0", "TERMS", "1", "drama", "1"}).str, "OK");
  // a is the session item (so never returned) and its vector is the session query.
  // Expected blend: b = 1 (vector) + 0.5 (term) + 1 (session) = 2.5;
  // c = 0.995 + 0.99 + 0.005 (popular rank 1 of 2) = 1.99; d = 0.99 + 0.98 + 0.01 = 1.98.
  auto r = cmd({"RECO.RECOMMEND", "c", "u", "2", "SESSION", "2", "nope", "a", "EXCLUDE", "1", "zz",
                "EXPLAIN"});
  ASSERT_TRUE(r.is_array()) << r.to_string();
  ASSERT_EQ(r.elements.size(), 4u);
  EXPECT_EQ(r.elements[0].str, "items");
  EXPECT_EQ(r.elements[2].str, "stats");

  const Reply& items = r.elements[1];
  ASSERT_EQ(items.elements.size(), 2u);
  std::vector<std::string> order;
  std::map<std::string, std::set<std::string>> sources;
  std::map<std::string, double> scores;
  std::map<std::string, std::map<std::string, double>> values;  // the candidate values
  for (const Reply& item : items.elements) {
    ASSERT_EQ(item.elements.size(), 4u) << item.to_string();
    order.push_back(item.elements[0].str);
    scores[item.elements[0].str] = item.elements[1].as_double();
    auto names = item.elements[2].strings();
    sources[item.elements[0].str] = std::set<std::string>(names.begin(), names.end());
    const Reply& v = item.elements[3];
    for (std::size_t i = 0; i + 1 < v.elements.size(); i += 2)
      values[item.elements[0].str][v.elements[i].str] = v.elements[i + 1].as_double();
  }
  EXPECT_EQ(order, (std::vector<std::string>{"b", "c"}));
  EXPECT_NEAR(scores.at("b"), 2.5, 1e-9);
  EXPECT_NEAR(scores.at("c"), 1.99, 1e-9);
  EXPECT_EQ(sources.at("b"), (std::set<std::string>{"vector", "term", "session"}));
  EXPECT_EQ(sources.at("c"), (std::set<std::string>{"vector", "session", "popular"}));
  // Ranks are position / budget, 1 where the source did not recall the item; scores are
  // there for every source the request has (b carries drama, c does not: term score 0).
  const auto& b = values.at("b");
  const auto& c = values.at("c");
  EXPECT_EQ(b.at("vector.rank"), 0.0);
  EXPECT_EQ(b.at("term.rank"), 0.0);
  EXPECT_EQ(b.at("session.rank"), 0.0);
  EXPECT_EQ(b.at("popular.rank"), 1.0);
  EXPECT_NEAR(c.at("vector.rank"), 1.0 / 200, 1e-7);
  EXPECT_EQ(c.at("term.rank"), 1.0);
  EXPECT_NEAR(c.at("popular.rank"), 0.5, 1e-7);  // rank 1 of a popular budget of K = 2
  EXPECT_NEAR(b.at("blend.score"), 2.5, 1e-6);
  EXPECT_NEAR(c.at("blend.score"), 1.99, 1e-6);
  EXPECT_EQ(b.at("term.score"), 1.0);
  EXPECT_EQ(c.at("term.score"), 0.0);
  for (const auto* m : {&b, &c}) {
    EXPECT_TRUE(m->count("vector.score") && m->count("session.score") && m->count("popularity") &&
                m->count("age") && m->count("user.seen"));
    EXPECT_FALSE(m->count("user.popularity"));  // the user has seen nothing
  }

  const Reply& stats = r.elements[3];
  std::vector<std::string> names;
  for (std::size_t i = 0; i < stats.elements.size(); i += 2) names.push_back(stats.elements[i].str);
  EXPECT_EQ(names, (std::vector<std::string>{"cold", "model", "candidates", "recalled_vector", "recalled_term",
                                             "recalled_session", "recalled_popular",
                                             "skipped_session", "skipped_exclude", "recall_us",
                                             "rank_us", "total_us"}));
  auto s = stats.as_map();
  EXPECT_EQ(s.at("cold").integer, 0);
  EXPECT_EQ(s.at("model").str, "");  // no model: the blend ranked
  EXPECT_EQ(s.at("candidates").integer, 3);  // b, c, d
  EXPECT_EQ(s.at("recalled_vector").integer, 3);
  EXPECT_EQ(s.at("recalled_term").integer, 1);
  EXPECT_EQ(s.at("recalled_session").integer, 3);
  EXPECT_EQ(s.at("recalled_popular").integer, 2);
  EXPECT_EQ(s.at("skipped_session").integer, 1);
  EXPECT_EQ(s.at("skipped_exclude").integer, 1);
  EXPECT_GE(s.at("total_us").integer, s.at("recall_us").integer);

  // A missing user is cold.
  auto cold = cmd({"RECO.RECOMMEND", "c", "nobody", "1", "EXPLAIN"}).as_map();
  EXPECT_EQ(cold.at("stats").as_map().at("cold").integer, 1);
}

TEST_F(Commands, RecommendErrors) {
  make_catalog();
  ASSERT_EQ(cmd({"RECO.USER.SET", "u3", "VALUES", "3", "1", "0", "0"}).str, "OK");
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u3", "2"}).str, "ERR user vector has 3 dims, catalog 'c' has 2");
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "nocat", "u", "2"}).str, "ERR no such catalog 'nocat'");
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "0"}).str, "ERR K must be an integer between 1 and 10000");
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "10001"}).str,
            "ERR K must be an integer between 1 and 10000");
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "2", "BUDGET", "VECTOR", "100001"}).str,
            "ERR BUDGET VECTOR must be an integer between 0 and 100000");
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "2", "WEIGHT", "TERM", "-1"}).str,
            "ERR WEIGHT TERM must be a finite number >= 0");
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "2", "BUDGET", "MOOD", "1"}).str,
            "ERR BUDGET source must be VECTOR, TERM, SESSION or POPULAR");
  ASSERT_EQ(cmd({"SET", "s", "x"}).str, "OK");
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "s", "2"}).str,
            "WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST_F(Commands, SimilarRanksNeighboursAndExcludesTheItemItself) {
  make_catalog();
  EXPECT_EQ(cmd({"RECO.SIMILAR", "c", "a", "2"}).strings(), (std::vector<std::string>{"b", "c"}));
  auto r = cmd({"RECO.SIMILAR", "c", "a", "3", "EXCLUDE", "2", "b", "gone", "WITHSCORES"});
  ASSERT_EQ(r.elements.size(), 4u) << r.to_string();
  EXPECT_EQ(ids_of_pairs(r), (std::vector<std::string>{"c", "d"}));
  EXPECT_NEAR(r.elements[1].as_double(), 0.0, 1e-6);   // <a, c>
  EXPECT_NEAR(r.elements[3].as_double(), -1.0, 1e-6);  // <a, d>
  EXPECT_EQ(cmd({"RECO.SIMILAR", "c", "zz", "2"}).str, "ERR no such item 'zz' in catalog 'c'");
}

TEST_F(Commands, KnnAcceptsBothVectorEncodings) {
  make_catalog();
  auto r = cmd({"RECO.KNN", "c", "2", "VALUES", "2", "0", "1", "WITHSCORES"});
  ASSERT_EQ(r.elements.size(), 4u) << r.to_string();
  EXPECT_EQ(ids_of_pairs(r), (std::vector<std::string>{"c", "b"}));
  EXPECT_NEAR(r.elements[1].as_double(), 1.0, 1e-6);
  EXPECT_NEAR(r.elements[3].as_double(), 0.2, 1e-6);
  EXPECT_EQ(cmd({"RECO.KNN", "c", "2", "FP32", fp32({1, 0}), "EXCLUDE", "1", "a"}).strings(),
            (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(cmd({"RECO.KNN", "c", "2"}).str,
            "ERR a query vector (FP32 <blob> or VALUES <n> v...) is required");
  EXPECT_EQ(cmd({"RECO.KNN", "c", "2", "VALUES", "1", "1"}).str,
            "ERR VALUES count 1 does not match catalog dimension 2");
}

// ---- registration, INFO, reload -----------------------------------------------------------

TEST_F(Commands, KeySpecsRouteOnlyUserKeys) {
  EXPECT_EQ(cmd({"COMMAND", "GETKEYS", "RECO.RECOMMEND", "c", "user:1", "10"}).strings(),
            (std::vector<std::string>{"user:1"}));
  EXPECT_EQ(cmd({"COMMAND", "GETKEYS", "RECO.USER.SET", "user:2", "VALUES", "1", "1"}).strings(),
            (std::vector<std::string>{"user:2"}));
  EXPECT_TRUE(cmd({"COMMAND", "GETKEYS", "RECO.ITEM.SET", "c", "x"}).is_error());
  EXPECT_TRUE(cmd({"COMMAND", "GETKEYS", "RECO.KNN", "c", "1", "VALUES", "1", "1"}).is_error());

  auto flags = [](const std::string& name) {
    auto info = cmd({"COMMAND", "INFO", name});
    return info.elements.at(0).elements.at(2).strings();
  };
  auto has = [](const std::vector<std::string>& v, const std::string& f) {
    return std::find(v.begin(), v.end(), f) != v.end();
  };
  EXPECT_TRUE(has(flags("reco.item.set"), "write"));
  EXPECT_TRUE(has(flags("reco.item.set"), "denyoom"));
  EXPECT_TRUE(has(flags("reco.recommend"), "readonly"));
  EXPECT_TRUE(has(flags("reco.catalog.list"), "fast"));
}

TEST_F(Commands, InfoSectionCountsCatalogs) {
  make_catalog();
  ASSERT_EQ(cmd({"RECO.CATALOG.CREATE", "other", "DIM", "4"}).str, "OK");
  ASSERT_EQ(cmd({"RECO.ITEM.SET", "other", "novec"}).integer, 1);
  auto info = server_->info("reco");
  EXPECT_EQ(info["reco_catalogs"], "2");
  EXPECT_EQ(info["reco_items"], "5");
  EXPECT_EQ(info["reco_vectors"], "4");
  EXPECT_GT(std::stoll(info["reco_catalog_memory_bytes"]), 0);
}

TEST_F(Commands, DebugReloadKeepsCatalogsAndUsers) {
  make_catalog();
  ASSERT_EQ(cmd({"RECO.USER.SET", "u", "VALUES", "2", "1", "0", "SEEN", "1", "a"}).str, "OK");
  auto before = cmd({"RECO.RECOMMEND", "c", "u", "4", "WITHSCORES"}).to_string();
  ASSERT_EQ(cmd({"DEBUG", "RELOAD"}).str, "OK");
  EXPECT_EQ(cmd({"RECO.CATALOG.LIST"}).strings(), (std::vector<std::string>{"c"}));
  EXPECT_EQ(cmd({"RECO.RECOMMEND", "c", "u", "4", "WITHSCORES"}).to_string(), before);
  // The RDB states the complete set: a catalog dropped before a reload stays dropped.
  ASSERT_EQ(cmd({"RECO.CATALOG.DROP", "c"}).str, "OK");
  ASSERT_EQ(cmd({"DEBUG", "RELOAD"}).str, "OK");
  EXPECT_TRUE(cmd({"RECO.CATALOG.LIST"}).strings().empty());
  EXPECT_EQ(cmd({"RECO.USER.SEEN.HAS", "u", "a"}).integer, 1);
}

}  // namespace
