// Graph-indexed catalogs over the wire: recall of RECO.KNN / RECO.RECOMMEND against a
// double-precision brute force here, filters that remove most of the catalog (seen-set,
// EXCLUDE, HASTERM), deletes and re-adds, per-query EF, int8 quantization, and that a
// DEBUG RELOAD and a replica answer byte-for-byte as the master did.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

constexpr std::size_t kDim = 32;
constexpr std::size_t kItems = 6000;
constexpr std::size_t kTerms = 20;

std::string item(std::size_t i) { return "i" + std::to_string(i); }
std::string term(std::size_t i) { return "t" + std::to_string(i % kTerms); }

// Clustered data: what real item vectors look like, and harder for a graph than noise.
// Items, new items and queries all come from the same clusters (queries from far outside
// every cluster are a different, harder question for inner product; see bench/).
std::vector<std::vector<float>> clustered(std::mt19937_64& rng, std::size_t n) {
  static const std::vector<std::vector<float>> centres = [] {
    std::mt19937_64 r(4242);
    std::vector<std::vector<float>> c;
    for (int i = 0; i < 30; ++i) c.push_back(random_vector(r, kDim));
    return c;
  }();
  std::normal_distribution<float> noise(0.0f, 0.35f);
  std::uniform_int_distribution<std::size_t> pick(0, centres.size() - 1);
  std::vector<std::vector<float>> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto v = centres[pick(rng)];
    for (float& x : v) x += noise(rng);
    out.push_back(v);
  }
  return out;
}

struct Spec {
  std::string name;
  RefMetric metric;
  Args create;       // options after DIM
  double min_recall;  // recall@10 at default settings
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> s{
      {"h_l2", RefMetric::L2, {"METRIC", "L2", "INDEX", "HNSW"}, 0.95},
      {"h_ip", RefMetric::IP, {"METRIC", "IP", "INDEX", "HNSW", "M", "20", "EF_CONSTRUCTION", "250"}, 0.95},
      {"h_cos", RefMetric::Cosine, {"METRIC", "COSINE", "INDEX", "HNSW", "EF_RUNTIME", "80"}, 0.95},
      {"q_l2", RefMetric::L2, {"METRIC", "L2", "INDEX", "HNSW", "QUANT", "INT8", "KEEP_FLOAT"}, 0.95},
      {"q8_l2", RefMetric::L2, {"METRIC", "L2", "INDEX", "HNSW", "QUANT", "INT8"}, 0.90},
  };
  return s;
}

class HnswCatalog : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    srv = new RedisServer();
    srv->start(RECO_MODULE_PATH);
    std::mt19937_64 rng(77);
    vectors = new std::vector<std::vector<float>>(clustered(rng, kItems));
    Client c = srv->client();
    std::vector<Args> cmds;
    for (const Spec& s : specs())
      cmds.push_back(concat({"RECO.CATALOG.CREATE", s.name, "DIM", std::to_string(kDim)}, s.create));
    for (const Spec& s : specs())
      for (std::size_t i = 0; i < kItems; ++i)
        cmds.push_back({"RECO.ITEM.SET", s.name, item(i), "FP32", fp32((*vectors)[i]), "TERMS",
                        "1", term(i), "POPULARITY", std::to_string(i % 101)});
    load(c, cmds);
  }
  static void TearDownTestSuite() {
    delete srv;
    delete vectors;
  }

  static std::size_t index_of(const std::string& id) { return std::stoul(id.substr(1)); }

  // recall@k of a KNN-style reply (ids only) against the brute force over allowed items.
  static double recall(const Reply& r, RefMetric m, const std::vector<float>& q, std::size_t k,
                       const std::function<bool(std::size_t)>& allowed) {
    EXPECT_TRUE(r.is_array()) << r.to_string();
    auto ref = brute_force(m, q, *vectors, allowed, k);
    std::set<std::size_t> truth;
    for (auto& h : ref) truth.insert(h.index);
    std::size_t hit = 0;
    for (const auto& e : r.elements) {
      std::size_t i = index_of(e.str);
      EXPECT_TRUE(allowed(i)) << "filtered item returned: " << e.str;
      hit += truth.count(i);
    }
    EXPECT_EQ(r.elements.size(), ref.size());
    return ref.empty() ? 1.0 : double(hit) / double(ref.size());
  }

  static RedisServer* srv;
  static std::vector<std::vector<float>>* vectors;
};
RedisServer* HnswCatalog::srv = nullptr;
std::vector<std::vector<float>>* HnswCatalog::vectors = nullptr;

auto all_allowed = [](std::size_t) { return true; };

TEST_F(HnswCatalog, InfoNamesTheIndex) {
  Client c = srv->client();
  auto info = c.cmd({"RECO.CATALOG.INFO", "h_ip"}).as_map();
  EXPECT_EQ(info["index"].str, "hnsw");
  EXPECT_EQ(info["index_m"].as_integer(), 20);
  EXPECT_EQ(info["index_ef_construction"].as_integer(), 250);
  EXPECT_EQ(info["index_quant"].str, "NONE");
  EXPECT_EQ(info["items_with_vector"].as_integer(), static_cast<long long>(kItems));
  auto q8 = c.cmd({"RECO.CATALOG.INFO", "q8_l2"}).as_map();
  auto h = c.cmd({"RECO.CATALOG.INFO", "h_l2"}).as_map();
  EXPECT_EQ(q8["index_quant"].str, "INT8");
  // Without the float copy the vectors take a quarter of the bytes.
  EXPECT_LT(q8["index_memory_bytes"].as_integer(), h["index_memory_bytes"].as_integer());
}

TEST_F(HnswCatalog, KnnRecallAtDefaults) {
  Client c = srv->client();
  std::mt19937_64 rng(5);
  auto queries = clustered(rng, 40);
  for (const Spec& s : specs()) {
    double sum = 0;
    for (const auto& q : queries)
      sum += recall(c.cmd({"RECO.KNN", s.name, "10", "FP32", fp32(q)}), s.metric, q, 10, all_allowed);
    EXPECT_GE(sum / queries.size(), s.min_recall) << s.name;
  }
}

TEST_F(HnswCatalog, EfPerQueryTradesSpeedForRecall) {
  Client c = srv->client();
  std::mt19937_64 rng(6);
  auto queries = clustered(rng, 40);
  double low = 0, high = 0;
  for (const auto& q : queries) {
    low += recall(c.cmd({"RECO.KNN", "h_l2", "10", "FP32", fp32(q), "EF", "10"}), RefMetric::L2, q, 10, all_allowed);
    high += recall(c.cmd({"RECO.KNN", "h_l2", "10", "FP32", fp32(q), "EF", "400"}), RefMetric::L2, q, 10, all_allowed);
  }
  EXPECT_GE(high / queries.size(), 0.99);
  EXPECT_LE(low, high);
  EXPECT_TRUE(c.cmd({"RECO.KNN", "h_l2", "10", "FP32", fp32(queries[0]), "EF", "0"}).is_error());
}

TEST_F(HnswCatalog, FiltersRemovingMostOfTheCatalogStillGiveK) {
  Client c = srv->client();
  std::mt19937_64 rng(8);
  for (double removed : {0.5, 0.9, 0.999}) {
    auto u = clustered(rng, 1)[0];
    // Seen: the items nearest the user first, the hardest case for a bounded walk.
    const std::size_t n_seen = static_cast<std::size_t>(removed * kItems);
    auto nearest = brute_force(RefMetric::L2, u, *vectors, all_allowed, n_seen);
    std::set<std::size_t> seen;
    std::string key = "heavy:" + std::to_string(n_seen);
    std::vector<Args> cmds;
    Args add{"RECO.USER.SEEN.ADD", key};
    for (auto& h : nearest) {
      seen.insert(h.index);
      add.push_back(item(h.index));
    }
    cmds.push_back(add);
    cmds.push_back({"RECO.USER.SET", key, "FP32", fp32(u)});
    load(c, cmds);
    auto unseen = [&](std::size_t i) { return !seen.count(i); };
    Reply r = c.cmd({"RECO.RECOMMEND", "h_l2", key, "10", "BUDGET", "TERM", "0", "BUDGET",
                     "SESSION", "0", "BUDGET", "POPULAR", "0"});
    ASSERT_EQ(r.elements.size(), std::min<std::size_t>(10, kItems - n_seen)) << removed;
    EXPECT_GE(recall(r, RefMetric::L2, u, 10, unseen), 0.9) << removed;
  }
}

TEST_F(HnswCatalog, HasTermRestrictsEverySearch) {
  Client c = srv->client();
  std::mt19937_64 rng(9);
  auto queries = clustered(rng, 20);
  auto has = [](std::size_t t) { return [t](std::size_t i) { return i % kTerms == t; }; };
  double sum = 0;
  for (std::size_t qi = 0; qi < queries.size(); ++qi) {
    std::size_t t = qi % kTerms;
    sum += recall(c.cmd({"RECO.KNN", "h_cos", "10", "FP32", fp32(queries[qi]), "HASTERM", "1", term(t)}),
                  RefMetric::Cosine, queries[qi], 10, has(t));
  }
  EXPECT_GE(sum / queries.size(), 0.95);
  // Two terms: the union.
  auto both = [](std::size_t i) { return i % kTerms == 3 || i % kTerms == 4; };
  EXPECT_GE(recall(c.cmd({"RECO.KNN", "h_cos", "10", "FP32", fp32(queries[0]), "HASTERM", "2",
                          term(3), term(4)}),
                   RefMetric::Cosine, queries[0], 10, both),
            0.9);
  // A term nobody carries allows nothing.
  EXPECT_EQ(c.cmd({"RECO.KNN", "h_cos", "10", "FP32", fp32(queries[0]), "HASTERM", "1", "nope"})
                .elements.size(),
            0u);
  // SIMILAR and RECOMMEND take it too.
  Reply sim = c.cmd({"RECO.SIMILAR", "h_cos", item(0), "5", "HASTERM", "1", term(7)});
  ASSERT_EQ(sim.elements.size(), 5u) << sim.to_string();
  for (auto& e : sim.elements) EXPECT_EQ(index_of(e.str) % kTerms, 7u) << e.str;
  Reply rec = c.cmd({"RECO.RECOMMEND", "h_cos", "nobody", "5", "HASTERM", "1", term(9)});
  ASSERT_EQ(rec.elements.size(), 5u) << rec.to_string();
  for (auto& e : rec.elements) EXPECT_EQ(index_of(e.str) % kTerms, 9u) << e.str;
}

TEST_F(HnswCatalog, BadOptionsAreRefusedAndChangeNothing) {
  Client c = srv->client();
  for (const Args& a : std::vector<Args>{
           {"RECO.CATALOG.CREATE", "bad", "DIM", "4", "INDEX", "TREE"},
           {"RECO.CATALOG.CREATE", "bad", "DIM", "4", "INDEX", "HNSW", "M", "1"},
           {"RECO.CATALOG.CREATE", "bad", "DIM", "4", "INDEX", "HNSW", "M", "100000"},
           {"RECO.CATALOG.CREATE", "bad", "DIM", "4", "INDEX", "HNSW", "EF_CONSTRUCTION", "0"},
           {"RECO.CATALOG.CREATE", "bad", "DIM", "4", "INDEX", "FLAT", "QUANT", "INT8"},
           {"RECO.CATALOG.CREATE", "bad", "DIM", "4", "QUANT", "INT4"},
           {"RECO.CATALOG.CREATE", "bad", "DIM", "4", "KEEP_FLOAT"},
       }) {
    Reply r = c.cmd(a);
    EXPECT_TRUE(r.is_error()) << join(a) << " -> " << r.to_string();
  }
  EXPECT_TRUE(c.cmd({"RECO.CATALOG.INFO", "bad"}).is_error());
  auto q = (*vectors)[0];
  for (const Args& a : std::vector<Args>{
           {"RECO.KNN", "h_l2", "10", "FP32", fp32(q), "EF", "-1"},
           {"RECO.KNN", "h_l2", "10", "FP32", fp32(q), "EF", "x"},
           {"RECO.KNN", "h_l2", "10", "FP32", fp32(q), "HASTERM", "2", "t1"},
           {"RECO.KNN", "h_l2", "10", "FP32", fp32(q), "HASTERM", "0"},
       }) {
    Reply r = c.cmd(a);
    EXPECT_TRUE(r.is_error()) << join(a) << " -> " << r.to_string();
  }
}

// Runs last in this suite's order of definition: it deletes and reloads.
TEST_F(HnswCatalog, ZDeletesReloadAndReplicaAgree) {
  Client c = srv->client();
  std::mt19937_64 rng(10);
  // Delete a third, add as many new items.
  std::vector<Args> cmds;
  std::set<std::size_t> deleted;
  for (std::size_t i = 0; i < kItems; i += 3) deleted.insert(i);
  auto fresh = clustered(rng, deleted.size());
  for (const Spec& s : specs()) {
    Args del{"RECO.ITEM.DEL", s.name};
    for (std::size_t i : deleted) del.push_back(item(i));
    cmds.push_back(del);
    for (std::size_t j = 0; j < fresh.size(); ++j)
      cmds.push_back({"RECO.ITEM.SET", s.name, item(kItems + j), "FP32", fp32(fresh[j]), "TERMS",
                      "1", term(j), "POPULARITY", "1"});
  }
  load(c, cmds);
  std::vector<std::vector<float>> all = *vectors;
  all.insert(all.end(), fresh.begin(), fresh.end());
  std::swap(all, *vectors);
  auto alive = [&](std::size_t i) { return !deleted.count(i); };

  auto queries = clustered(rng, 30);
  for (const Spec& s : specs()) {
    double sum = 0;
    for (const auto& q : queries)
      sum += recall(c.cmd({"RECO.KNN", s.name, "10", "FP32", fp32(q)}), s.metric, q, 10, alive);
    EXPECT_GE(sum / queries.size(), s.min_recall) << s.name << " after deletes";
  }

  auto observe = [&](RedisServer& server) {
    Client cl = server.client();
    std::vector<std::string> out;
    for (const Spec& s : specs()) {
      // INFO without its memory figures: capacities may differ after a reload.
      auto info = cl.cmd({"RECO.CATALOG.INFO", s.name}).as_map();
      info.erase("memory_bytes");
      info.erase("index_memory_bytes");
      std::string flat;
      for (const auto& [k, v] : info) flat += k + "=" + v.to_string() + " ";
      out.push_back(flat);
      for (const auto& q : queries)
        out.push_back(cl.cmd({"RECO.KNN", s.name, "10", "FP32", fp32(q), "WITHSCORES"}).to_string());
    }
    return out;
  };
  // Element by element, so that a difference prints one line, not every reply.
  auto expect_same = [](const std::vector<std::string>& a, const std::vector<std::string>& b,
                        const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << what << " #" << i;
  };
  auto before = observe(*srv);
  ASSERT_EQ(c.cmd({"DEBUG", "RELOAD"}).str, "OK");
  expect_same(observe(*srv), before, "after DEBUG RELOAD");

  RedisServer replica;
  replica.start(RECO_MODULE_PATH);
  replica.replica_of(*srv);
  wait_for_sync(*srv, replica);
  expect_same(observe(replica), before, "replica after full sync");
  // And the command stream: a graph rebuilt by replaying the same writes is the same graph.
  load(c, {{"RECO.ITEM.DEL", "h_l2", item(1), item(2)},
           {"RECO.ITEM.SET", "h_l2", item(1), "FP32", fp32(queries[0])}});
  wait_for_sync(*srv, replica);
  expect_same(observe(replica), observe(*srv), "replica after the command stream");
}

}  // namespace
}  // namespace reco::test
