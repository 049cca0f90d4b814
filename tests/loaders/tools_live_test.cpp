// The command-line pipeline end to end against a live server: generate ->
// prepare -> train -> load -> eval -> show, exit statuses included: a second
// load succeeds and duplicates nothing, bad files and a catalog of another
// dimension fail with a non-zero status and leave the server as it was.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "redis_server.hpp"
#include "temp_dir.hpp"
#include "tool_run.hpp"

using reco::test::RedisServer;
using reco_offline::test::run;
using reco_offline::test::TempDir;
using reco_offline::test::tool;
using reco_offline::test::ToolRun;

namespace {

class Tools : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server = new RedisServer();
    server->start(RECO_MODULE_PATH);
    dir = new TempDir();
  }
  static void TearDownTestSuite() {
    delete server;
    delete dir;
  }
  static std::string port() { return std::to_string(server->port()); }
  static RedisServer* server;
  static TempDir* dir;
};
RedisServer* Tools::server = nullptr;
TempDir* Tools::dir = nullptr;

TEST_F(Tools, PipelineFromRawRatingsToServedRecommendations) {
  const std::string raw = dir->file("raw"), prep = dir->file("prep");
  ToolRun r = run(tool("reco-data") + " generate --users 300 --items 400 --ratings 30000 -o " + raw);
  ASSERT_EQ(r.status, 0) << r.output;
  r = run(tool("reco-data") + " prepare -d " + raw + " -o " + prep);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("MovieLens 1M"), std::string::npos) << r.output;
  r = run(tool("reco-train") + " -p " + prep + " --objective logistic --dim 8 --epochs 3 --popularity-prior auto");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("test AUC"), std::string::npos) << r.output;

  r = run(tool("reco-load") + " -p " + prep + " -P " + port() + " --progress never");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("0 errors"), std::string::npos) << r.output;
  const auto info = server->cmd({"RECO.CATALOG.INFO", "movies"}).as_map();
  EXPECT_EQ(info.at("items").as_integer(), 400);
  EXPECT_EQ(info.at("dim").as_integer(), 9);  // 8 trained + the popularity prior
  EXPECT_EQ(server->cmd({"DBSIZE"}).integer, 300);

  // Re-running duplicates nothing.
  r = run(tool("reco-load") + " -p " + prep + " -P " + port() + " --progress never");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("exists, kept"), std::string::npos) << r.output;
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "movies"}).as_map().at("items").as_integer(), 400);
  EXPECT_EQ(server->cmd({"DBSIZE"}).integer, 300);

  // train_log.json is the run record: the tool, its version, the command and a digest of
  // the data; the same command on the same data writes the same record.
  const std::string record = run("cat " + prep + "/train_log.json").output;
  for (const char* key : {"\"tool\": \"reco-train\"", "\"version\": \"", "\"data_digest\": \"", "\"train.tsv\"",
                          "\"per_epoch\"", "\"--popularity-prior\""})
    EXPECT_NE(record.find(key), std::string::npos) << key << " in " << record;

  r = run(tool("reco-eval") + " -p " + prep + " -P " + port() + " --json " + dir->file("eval.json") + " --record " +
          prep + "/train_log.json");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string evaluated = run("cat " + prep + "/train_log.json").output;
  EXPECT_NE(evaluated.find("\"evaluations\""), std::string::npos) << evaluated;
  EXPECT_NE(evaluated.find("\"tool\": \"reco-eval\""), std::string::npos) << evaluated;
  EXPECT_NE(evaluated.find("\"ndcg\""), std::string::npos) << evaluated;
  EXPECT_NE(evaluated.find("\"data_digest\""), std::string::npos) << evaluated;  // the run itself kept
  for (const char* row : {"reco RECO.RECOMMEND", "popular source only", "popularity (offline)", "HR@10",
                          "all:   every held-out rating is relevant", "liked: only held-out ratings > 3"})
    EXPECT_NE(r.output.find(row), std::string::npos) << r.output;
  // Both definitions in the JSON: fewer users have a liked held-out rating than any.
  const std::string json = run("cat " + dir->file("eval.json")).output;
  EXPECT_NE(json.find("\"relevant\": \"held-out ratings > 3\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"relevant\": \"all held-out ratings\""), std::string::npos) << json;

  // The ranker's run record travels inside its model file: RECO.MODEL.INFO shows the same
  // record as the file written next to it (the data digest, the parameters).
  r = run(tool("reco-rank") + " -p " + prep + " --epochs 2 --dim 4 --mlp none -q -o " + dir->file("rank.safetensors"));
  ASSERT_EQ(r.status, 0) << r.output;
  {
    std::ifstream in(dir->file("rank.safetensors"), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(server->cmd({"RECO.MODEL.PUT", "movies", "ranked", bytes}).str, "OK");
    const std::string shown = server->cmd({"RECO.MODEL.INFO", "movies", "ranked"}).as_map()["run"].str;
    const std::string side = run("cat " + dir->file("rank.json")).output;
    const auto digest_of = [](const std::string& s) {
      const auto at = s.find("\"data_digest\"");
      const auto q = s.find('"', s.find(':', at) + 1);
      return at == std::string::npos ? std::string() : s.substr(q + 1, 16);
    };
    EXPECT_NE(shown.find("\"tool\":\"reco-rank\""), std::string::npos) << shown;
    EXPECT_NE(shown.find("\"per_epoch\""), std::string::npos) << shown;
    EXPECT_FALSE(digest_of(shown).empty()) << shown;
    EXPECT_EQ(digest_of(shown), digest_of(side)) << shown << "\n" << side;
    ASSERT_EQ(server->cmd({"RECO.MODEL.DEL", "movies", "ranked"}).integer, 1);
  }

  r = run(tool("reco-show") + " -p " + prep + " -P " + port() + " recommend 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("user 1"), std::string::npos) << r.output;
  r = run(tool("reco-show") + " -p " + prep + " -P " + port() + " session 1 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("cold start"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("like what you browse"), std::string::npos) << r.output;

  // Factors converted to CSV (as if made elsewhere) load the same vectors.
  r = run(tool("reco-data") + " convert -i " + prep + "/item_factors.npy --in-ids " + prep + "/item_ids.txt -o " +
          dir->file("items.csv"));
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string item_before = server->cmd({"RECO.ITEM.GET", "movies", "5"}).to_string();
  r = run(tool("reco-load") + " --item-vectors " + dir->file("items.csv") + " -P " + port() + " --progress never");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(server->cmd({"RECO.ITEM.GET", "movies", "5"}).to_string(), item_before);

  // A catalog of another dimension: refused, status 2, nothing changed.
  const std::string before = server->cmd({"RECO.CATALOG.INFO", "movies"}).to_string();
  dir->write("small.csv", "id,a,b,c\n1,0.1,0.2,0.3\n");
  r = run(tool("reco-load") + " --item-vectors " + dir->file("small.csv") + " -P " + port());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("exists with dimension 9"), std::string::npos) << r.output;
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "movies"}).to_string(), before);

  // A malformed items file: status 2 before anything is sent.
  dir->write("bad_items.tsv", "item\ttitle\tterms\tpopularity\ttime\tfeatures\n1\tX\tDrama\tlots\t0\t\n");
  r = run(tool("reco-load") + " --items " + dir->file("bad_items.tsv") + " -P " + port());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("bad_items.tsv:2:"), std::string::npos) << r.output;
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "movies"}).to_string(), before);

  // Record-level failures: status 1, the failing id named.
  server->cmd({"SET", "user:7", "a plain string"});
  r = run(tool("reco-load") + " -p " + prep + " --only users -P " + port() + " --progress never");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("7: WRONGTYPE"), std::string::npos) << r.output;
}

// Next-item vectors with their fitted blend, served next to the original logistic
// vectors from a second catalog: the evaluation shows all three rows.
TEST_F(Tools, NextItemVectorsWithBlendAndTheOriginalRow) {
  const std::string raw = dir->file("raw2"), prep = dir->file("prep2"), lmf = dir->file("prep2/logistic");
  ToolRun r = run(tool("reco-data") + " generate --users 300 --items 400 --ratings 30000 -o " + raw);
  ASSERT_EQ(r.status, 0) << r.output;
  r = run(tool("reco-data") + " prepare -d " + raw + " -o " + prep);
  ASSERT_EQ(r.status, 0) << r.output;
  r = run(tool("reco-train") + " -p " + prep + " --dim 8 --epochs 3 --blend-users 100");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* line : {"time per epoch", "fitted blend", "retraining on training + test"})
    EXPECT_NE(r.output.find(line), std::string::npos) << r.output;
  r = run("test -s " + prep + "/blend.json");
  EXPECT_EQ(r.status, 0) << "no blend.json";
  r = run(tool("reco-train") + " -p " + prep + " -o " + lmf + " --objective logistic --dim 8 --epochs 3 --blend none");
  ASSERT_EQ(r.status, 0) << r.output;

  r = run(tool("reco-load") + " -p " + prep + " -P " + port() + " --catalog next --user-prefix next:user: --progress never");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "next"}).as_map().at("dim").as_integer(), 9);  // 8 + the item bias
  // The loader tells the catalog which dimension is the bias (from train_log.json).
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "next"}).as_map().at("bias_dim").as_integer(), 8);
  EXPECT_NE(r.output.find("BIAS_DIM LAST"), std::string::npos) << r.output;
  r = run(tool("reco-load") + " -p " + lmf + " --items " + prep + "/items.tsv --users " + prep +
          "/users.tsv --catalog next_lmf --user-prefix lmf:user: -P " + port() + " --progress never");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "next_lmf"}).as_map().at("bias_dim").str, "NONE");

  // Item-to-item evaluation through the module.
  r = run(tool("reco-eval") + " similar -p " + prep + " -P " + port() + " -c next -k 10 --show 1");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* row : {"RECO.SIMILAR (served)", "inner product with bias (old SIMILAR)", "popularity",
                          "recall@10 of RECO.SIMILAR", "share a genre"})
    EXPECT_NE(r.output.find(row), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("errors, first"), std::string::npos) << r.output;
  // A bias dimension the catalog does not have is refused, and the catalog keeps its own.
  r = run(tool("reco-load") + " -p " + prep + " -P " + port() +
          " --catalog next --user-prefix next:user: --only items --bias-dim 9 --progress never");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("BIAS_DIM must be"), std::string::npos) << r.output;
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "next"}).as_map().at("bias_dim").as_integer(), 8);
  r = run(tool("reco-load") + " -p " + prep + " -P " + port() + " --catalog next --bias-dim first");
  EXPECT_NE(r.status, 0) << r.output;
  r = run(tool("reco-eval") + " -p " + prep + " -P " + port() +
          " -k 50 --catalog next --user-prefix next:user: --original-catalog next_lmf --original-prefix lmf:user:");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* row : {"reco RECO.RECOMMEND", "original logistic vectors", "popular source only", "HR@50"})
    EXPECT_NE(r.output.find(row), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("errors, first"), std::string::npos) << r.output;

  // A broken blend.json is refused before anything is sent.
  dir->write("bad_blend.json", R"({"params": {"WEIGHT.TERM": -1}})");
  r = run(tool("reco-load") + " -p " + prep + " -P " + port() + " --catalog next --user-prefix next:user: --blend " +
          dir->file("bad_blend.json"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("WEIGHT.TERM"), std::string::npos) << r.output;
}

TEST_F(Tools, BadInputAndNoServerFailCleanly) {
  const std::string raw = dir->file("broken");
  ASSERT_EQ(run("mkdir -p " + raw).status, 0);
  dir->write("broken/users.dat", "1::M::25::4::12345\n");
  dir->write("broken/movies.dat", "1::A (1999)::Drama\n");
  dir->write("broken/ratings.dat", "1::1::4::978300760\n1::1::4\n");
  ToolRun r = run(tool("reco-data") + " prepare -d " + raw + " -o " + dir->file("broken_out"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("ratings.dat:2: expected 4 fields"), std::string::npos) << r.output;

  // Nothing listens on port 1.
  dir->write("v.csv", "1,0.5\n");
  r = run(tool("reco-load") + " --item-vectors " + dir->file("v.csv") + " -P 1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("cannot connect"), std::string::npos) << r.output;
}

}  // namespace
