// RECO.CATALOG.DUMP / RESTORE: a graph catalog with terms, blend, BIAS_DIM and a model is
// copied to another server in many parts (a small reco.copy-part-bytes) and serves there
// exactly what it serves at home (same digest, same answers), and its replica gets it too;
// a dump whose catalog changes half-way carries a new version; every malformed restore
// (wrong order, a part missing, repeated or damaged, another catalog's copy, no REPLACE,
// garbage) is refused with an error and leaves the target's catalogs as they were; the
// commands are guarded like the catalog's other reads and writes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "redis_server.hpp"
#include "model_file.hpp"

namespace {

using reco::test::Client;

std::string field(reco::test::RedisServer& s, const std::string& catalog, const std::string& name) {
  auto r = s.cmd({"RECO.CATALOG.INFO", catalog});
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
    if (r.elements[i].str == name) return r.elements[i + 1].to_string();
  return "(" + r.to_string() + ")";
}
using reco::test::Reply;
using reco::test::RedisServer;

std::vector<std::string> dump_all(RedisServer& s, const std::string& catalog, long long* version = nullptr) {
  std::vector<std::string> parts;
  Reply first = s.cmd({"RECO.CATALOG.DUMP", catalog, "0"});
  EXPECT_TRUE(first.is_array() && first.elements.size() == 3) << first.to_string();
  const long long n = first.elements[1].integer;
  if (version) *version = first.elements[0].integer;
  parts.push_back(first.elements[2].str);
  for (long long p = 1; p < n; ++p) {
    Reply r = s.cmd({"RECO.CATALOG.DUMP", catalog, std::to_string(p)});
    EXPECT_EQ(r.elements[0].integer, first.elements[0].integer);
    parts.push_back(r.elements[2].str);
  }
  return parts;
}

std::string restore(RedisServer& s, const std::string& catalog, const std::vector<std::string>& parts,
                    bool replace = false) {
  std::string last;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    std::vector<std::string> args{"RECO.CATALOG.RESTORE", catalog, std::to_string(p), std::to_string(parts.size()),
                                  parts[p]};
    if (replace) args.push_back("REPLACE");
    Reply r = s.cmd(args);
    last = r.is_error() ? r.str : r.str;
    if (r.is_error()) return last;
  }
  return last;
}

std::string probe(RedisServer& s) {
  std::string out = field(s, "films", "digest");
  for (std::string u : {"u:1", "u:2", "u:3"}) {
    out += s.cmd({"RECO.RECOMMEND", "films", u, "10", "WITHSCORES"}).to_string();
    out += s.cmd({"RECO.RECOMMEND", "films", u, "10", "MODEL", "m1", "WITHSCORES"}).to_string();
  }
  out += s.cmd({"RECO.SIMILAR", "films", "f3", "5", "WITHSCORES"}).to_string();
  out += s.cmd({"RECO.KNN", "films", "5", "VALUES", "8", "1", "0", "0", "1", "0", "0", "1", "0"}).to_string();
  out += s.cmd({"RECO.MODEL.LIST", "films"}).to_string();
  out += s.cmd({"RECO.CATALOG.CONFIG", "GET", "films"}).to_string();
  return out;
}

class CatalogCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    home.start(RECO_MODULE_PATH);
    away.start(RECO_MODULE_PATH, {{"reco.copy-part-bytes", "4096"}});
    home.cmd({"CONFIG", "SET", "reco.copy-part-bytes", "4096"});
    ASSERT_EQ(home.cmd({"RECO.CATALOG.CREATE", "films", "DIM", "8", "METRIC", "IP", "INDEX", "HNSW", "BIAS_DIM",
                        "LAST"}).str, "OK");
    std::mt19937_64 rng(5);
    std::normal_distribution<float> nd;
    for (int i = 0; i < 600; ++i) {
      std::vector<std::string> args{"RECO.ITEM.SET", "films", "f" + std::to_string(i), "VALUES", "8"};
      for (int k = 0; k < 8; ++k) args.push_back(std::to_string(nd(rng)));
      for (const std::string& a : {std::string("TERMS"), std::string("1"), "g" + std::to_string(i % 5),
                                   std::string("POPULARITY"), std::to_string(i % 17)})
        args.push_back(a);
      ASSERT_FALSE(home.cmd(args).is_error());
    }
    for (int i = 0; i < 40; i += 3) home.cmd({"RECO.ITEM.DEL", "films", "f" + std::to_string(i)});  // tombstones
    home.cmd({"RECO.CATALOG.CONFIG", "SET", "films", "WEIGHT.TERM", "0.3"});
    for (int u = 1; u <= 3; ++u) {
      std::vector<std::string> args{"RECO.USER.SET", "u:" + std::to_string(u), "VALUES", "8"};
      for (int k = 0; k < 8; ++k) args.push_back(std::to_string(nd(rng)));
      for (const std::string& a : {std::string("TERMS"), std::string("1"), "g" + std::to_string(u), std::string("1")})
        args.push_back(a);
      home.cmd(args);
      away.cmd(args);
    }
    // A model of the blend score alone (a candidate field), logit output.
    const std::string model = reco::test::safetensors_bytes(
        R"({"format":"reco.fm","version":1,"output":"logit","fields":[{"name":"b","side":"candidate",)"
        R"("kind":"dense","source":"candidate:blend.score"}]})",
        {{"bias", {1}, {0.25f}}, {"linear.b", {1}, {2.0f}}});
    ASSERT_EQ(home.cmd({"RECO.MODEL.PUT", "films", "m1", model}).str, "OK");
  }
  RedisServer home, away;
};

TEST_F(CatalogCopy, CopiedCatalogServesTheSameAndReachesReplicas) {
  RedisServer replica;
  replica.start(RECO_MODULE_PATH);
  replica.replica_of(away);
  reco::test::wait_for_sync(away, replica);

  long long version = 0;
  const std::vector<std::string> parts = dump_all(home, "films", &version);
  ASSERT_GT(parts.size(), 10u);  // many parts of 4 KiB
  EXPECT_EQ("(integer) " + std::to_string(version), field(home, "films", "version"));
  EXPECT_EQ(restore(away, "films", parts), "OK");
  EXPECT_EQ(probe(away), probe(home));
  reco::test::wait_for_sync(away, replica);
  EXPECT_EQ(probe(replica), probe(home));

  // The copy keeps what later writes do the same way on both sides.
  for (RedisServer* s : {&home, &away}) {
    s->cmd({"RECO.ITEM.SET", "films", "new", "VALUES", "8", "1", "1", "1", "1", "1", "1", "1", "1"});
    s->cmd({"RECO.ITEM.DEL", "films", "f100"});
  }
  EXPECT_EQ(probe(away), probe(home));

  // REPLACE overwrites with the source's current state.
  home.cmd({"RECO.ITEM.DEL", "films", "f200"});
  EXPECT_EQ(restore(away, "films", dump_all(home, "films"), true), "OK");
  EXPECT_EQ(probe(away), probe(home));
}

TEST_F(CatalogCopy, ADumpAcrossAChangeCarriesTheNewVersion) {
  Reply first = home.cmd({"RECO.CATALOG.DUMP", "films", "0"});
  const long long v0 = first.elements[0].integer;
  home.cmd({"RECO.ITEM.SET", "films", "f501", "POPULARITY", "3"});
  Reply second = home.cmd({"RECO.CATALOG.DUMP", "films", "1"});
  ASSERT_TRUE(second.is_array()) << second.to_string();
  EXPECT_NE(second.elements[0].integer, v0);  // a client sees it and starts again
  Reply past = home.cmd({"RECO.CATALOG.DUMP", "films", "100000"});
  EXPECT_TRUE(past.is_error());
  EXPECT_NE(past.str.find("parts (asked for part 100000)"), std::string::npos) << past.str;
  EXPECT_TRUE(home.cmd({"RECO.CATALOG.DUMP", "nope", "0"}).is_error());
  EXPECT_TRUE(home.cmd({"RECO.CATALOG.DUMP", "films", "-1"}).is_error());
}

TEST_F(CatalogCopy, BadRestoresChangeNothing) {
  const std::vector<std::string> parts = dump_all(home, "films");
  ASSERT_EQ(away.cmd({"RECO.CATALOG.CREATE", "films", "DIM", "2"}).str, "OK");
  const std::string before = away.cmd({"RECO.CATALOG.INFO", "films"}).to_string();
  const auto unchanged = [&] {
    EXPECT_EQ(away.cmd({"RECO.CATALOG.INFO", "films"}).to_string(), before);
    EXPECT_EQ(away.cmd({"RECO.CATALOG.LIST"}).strings(), std::vector<std::string>{"films"});
  };
  EXPECT_NE(restore(away, "films", parts).find("exists (RESTORE ... REPLACE replaces it)"), std::string::npos);
  unchanged();
  const std::string n = std::to_string(parts.size());
  // Out of order, a part skipped, a part repeated, a damaged byte, a foreign copy, garbage.
  Reply r = away.cmd({"RECO.CATALOG.RESTORE", "films", "1", n, parts[1], "REPLACE"});
  EXPECT_NE(r.str.find("expected part 0"), std::string::npos) << r.str;
  std::vector<std::string> skipped = parts;
  skipped.erase(skipped.begin() + 3);
  EXPECT_NE(restore(away, "films", skipped, true).find("checksum mismatch"), std::string::npos);
  unchanged();
  std::vector<std::string> repeated = parts;
  repeated[4] = repeated[3];
  EXPECT_NE(restore(away, "films", repeated, true).find("checksum mismatch"), std::string::npos);
  std::vector<std::string> damaged = parts;
  damaged[2][100] ^= 0x20;
  EXPECT_NE(restore(away, "films", damaged, true).find("checksum mismatch"), std::string::npos);
  unchanged();
  EXPECT_NE(restore(away, "other", parts).find("holds catalog 'films', not 'other'"), std::string::npos);
  EXPECT_NE(restore(away, "films", {"garbage"}, true).find("not a catalog copy"), std::string::npos);
  r = away.cmd({"RECO.CATALOG.RESTORE", "films", "0", n, parts[0], "REPLACE"});
  EXPECT_EQ(r.str, "OK");
  r = away.cmd({"RECO.CATALOG.RESTORE", "films", "1", "2", parts[1], "REPLACE"});  // another count
  EXPECT_NE(r.str.find("start again with part 0"), std::string::npos) << r.str;
  r = away.cmd({"RECO.CATALOG.RESTORE", "films", "2", "2", parts[1]});
  EXPECT_TRUE(r.is_error());
  r = away.cmd({"RECO.CATALOG.RESTORE", "films", "0", "1", parts[0], "NOPE"});
  EXPECT_TRUE(r.is_error());
  unchanged();
  EXPECT_EQ(away.cmd({"RECO.CATALOG.LIST"}).strings(), std::vector<std::string>{"films"});
  // After all that, a whole copy still goes through.
  EXPECT_EQ(restore(away, "films", parts, true), "OK");
  EXPECT_EQ(field(away, "films", "digest"), field(home, "films", "digest"));
}

TEST_F(CatalogCopy, InlineWithoutWorkersAndInsideMulti) {
  // The last part decodes on a worker by default; without workers, and inside MULTI (where
  // a client may not block), it decodes inline, with the same result.
  const std::vector<std::string> parts = dump_all(home, "films");
  ASSERT_EQ(away.cmd({"CONFIG", "SET", "reco.threads", "0"}).str, "OK");
  EXPECT_EQ(restore(away, "films", parts), "OK");
  EXPECT_EQ(probe(away), probe(home));
  ASSERT_EQ(away.cmd({"CONFIG", "SET", "reco.threads", "2"}).str, "OK");
  Client c = away.client();
  ASSERT_EQ(c.cmd({"MULTI"}).str, "OK");
  for (std::size_t p = 0; p < parts.size(); ++p)
    c.cmd({"RECO.CATALOG.RESTORE", "films", std::to_string(p), std::to_string(parts.size()), parts[p], "REPLACE"});
  Reply exec = c.cmd({"EXEC"});
  ASSERT_EQ(exec.elements.size(), parts.size()) << exec.to_string();
  EXPECT_EQ(exec.elements.back().str, "OK");
  EXPECT_EQ(probe(away), probe(home));
}

TEST_F(CatalogCopy, GuardedLikeTheCatalog) {
  home.cmd({"ACL", "SETUSER", "reader", "on", ">pw", "resetkeys", "%R~reco:catalog:*", "+@all"});
  home.cmd({"ACL", "SETUSER", "nobody", "on", ">pw", "resetkeys", "~user:*", "+@all"});
  Client reader = home.client();
  ASSERT_EQ(reader.cmd({"AUTH", "reader", "pw"}).str, "OK");
  EXPECT_TRUE(reader.cmd({"RECO.CATALOG.DUMP", "films", "0"}).is_array());
  Reply w = reader.cmd({"RECO.CATALOG.RESTORE", "films", "0", "1", "x", "REPLACE"});
  EXPECT_EQ(w.str.rfind("NOPERM", 0), 0u) << w.str;
  Client nobody = home.client();
  ASSERT_EQ(nobody.cmd({"AUTH", "nobody", "pw"}).str, "OK");
  Reply d = nobody.cmd({"RECO.CATALOG.DUMP", "films", "0"});
  EXPECT_EQ(d.str.rfind("NOPERM", 0), 0u) << d.str;
}

}  // namespace
