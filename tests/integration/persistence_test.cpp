// Persistence: whatever a client could observe before SAVE + restart, DEBUG RELOAD, an AOF
// rewrite plus later appends, or a DUMP/RESTORE, it observes identically afterwards — query
// results and scores included, since ties break by internal ids that must survive too.
// Corrupted RESTORE payloads of a user key get an error and the server keeps running.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

constexpr std::size_t kDim = 16;
constexpr int kItems = 300;
constexpr int kUsers = 20;

std::string film(int i) {
  if (i == 77) return std::string("bin\0id\xff", 7);  // ids are binary-safe
  return "f" + std::to_string(i);
}

Args item_set(int i, std::mt19937_64& rng) {
  Args a{"RECO.ITEM.SET", "films", film(i)};
  auto v = random_vector(rng, kDim);
  if (i % 25 != 0) {
    if (i % 10 == 3) a = concat(a, values_args(v));
    else a = concat(a, {"FP32", fp32(v)});
  }
  a = concat(a, {"TERMS", "2", "g" + std::to_string(i % 6), "d" + std::to_string(i % 4)});
  a = concat(a, {"POPULARITY", std::to_string((i * 7) % 50), "TIME",
                 std::to_string(1600000000 + i % 40)});
  if (i % 3 == 0)
    a = concat(a, {"FEATURES", "2", "year", std::to_string(1990 + i % 30), "lang",
                   i % 2 ? "en" : "fr"});
  return a;
}

Args user_set(int u, std::mt19937_64& rng) {
  Args a{"RECO.USER.SET", "u:" + std::to_string(u)};
  a = concat(a, {"FP32", fp32(random_vector(rng, kDim))});
  a = concat(a, {"TERMS", "2", "g" + std::to_string(u % 6), "2.5", "d" + std::to_string(u % 4),
                 "0.75"});
  a = concat(a, {"FEATURES", "2", "gender", u % 2 ? "F" : "M", "age", std::to_string(20 + u)});
  Args seen{"SEEN", std::to_string(5 + u)};
  for (int s = 0; s < 5 + u; ++s) seen.push_back(film((u * 13 + s * 7) % kItems));
  return concat(a, seen);
}

// First half of the data set (catalogs, half the items, half the users).
std::vector<Args> part_one() {
  std::mt19937_64 rng(1);
  std::vector<Args> cmds{{"RECO.CATALOG.CREATE", "films", "DIM", std::to_string(kDim), "METRIC",
                          "COSINE"},
                         {"RECO.CATALOG.CREATE", "tiny", "DIM", "4", "METRIC", "IP"},
                         {"RECO.CATALOG.CREATE", "empty", "DIM", "8", "METRIC", "L2"},
                         {"RECO.CATALOG.CREATE", "doomed", "DIM", "2"}};
  for (int i = 0; i < kItems / 2; ++i) cmds.push_back(item_set(i, rng));
  for (int i = 0; i < 5; ++i)
    cmds.push_back({"RECO.ITEM.SET", "tiny", "t" + std::to_string(i), "VALUES", "4",
                    std::to_string(i), "1", "0", std::to_string(-i), "POPULARITY", "1"});
  cmds.push_back({"RECO.ITEM.SET", "doomed", "x", "VALUES", "2", "1", "1"});
  for (int u = 0; u < kUsers / 2; ++u) cmds.push_back(user_set(u, rng));
  return cmds;
}

// Second half: more items and users, deletes, re-adds into freed ids, partial updates.
std::vector<Args> part_two() {
  std::mt19937_64 rng(2);
  std::vector<Args> cmds;
  for (int i = kItems / 2; i < kItems; ++i) cmds.push_back(item_set(i, rng));
  for (int u = kUsers / 2; u < kUsers; ++u) cmds.push_back(user_set(u, rng));
  cmds.push_back({"RECO.ITEM.DEL", "films", "f10", "f20", "f30", "f200"});
  cmds.push_back({"RECO.ITEM.SET", "films", "f20", "FP32", fp32(random_vector(rng, kDim))});
  cmds.push_back({"RECO.ITEM.SET", "films", "late", "FP32", fp32(random_vector(rng, kDim)),
                  "POPULARITY", "49"});
  cmds.push_back({"RECO.ITEM.SET", "films", "f5", "POPULARITY", "48.5"});
  cmds.push_back({"RECO.ITEM.SET", "films", "f6", "TERMS", "1", "g9"});
  cmds.push_back({"RECO.CATALOG.DROP", "doomed"});
  cmds.push_back({"RECO.USER.SEEN.ADD", "u:1", "f100", "f101", "late"});
  cmds.push_back({"RECO.USER.SEEN.DEL", "u:2", film((2 * 13) % kItems)});
  cmds.push_back({"RECO.USER.SET", "u:3", "TERMS", "1", "g9", "4"});
  cmds.push_back({"RECO.USER.SET", "u:cold", "SEEN", "3", "f0", "f1", "f2"});
  cmds.push_back({"RECO.USER.SET", "u:tiny", "VALUES", "4", "1", "0.5", "0", "-1"});
  cmds.push_back({"RECO.USER.SEEN.ADD", "u:new", "f1"});
  cmds.push_back({"SET", "plain-string", "x"});
  return cmds;
}

using Observation = std::pair<std::string, std::string>;

// Everything a client can ask, with the answer. memory_bytes is left out of CATALOG.INFO:
// it is an allocation estimate, and a reload may legitimately pack memory differently.
std::vector<Observation> observe(Client& c) {
  std::vector<Args> probes;
  probes.push_back({"DBSIZE"});
  for (std::string cat : {"films", "tiny", "empty", "doomed"})
    probes.push_back({"RECO.CATALOG.INFO", cat});
  for (int i = 0; i < kItems; ++i) probes.push_back({"RECO.ITEM.GET", "films", film(i)});
  probes.push_back({"RECO.ITEM.GET", "films", "late"});
  for (int i = 0; i < 5; ++i) probes.push_back({"RECO.ITEM.GET", "tiny", "t" + std::to_string(i)});
  std::vector<std::string> users;
  for (int u = 0; u < kUsers; ++u) users.push_back("u:" + std::to_string(u));
  for (std::string u : {"u:cold", "u:tiny", "u:new", "u:missing"}) users.push_back(u);
  for (auto& u : users) {
    probes.push_back({"RECO.USER.GET", u});
    probes.push_back({"TYPE", u});
    // (u:tiny's vector has 4 dims: it is asked against "tiny" below.)
    if (u != "u:tiny") probes.push_back({"RECO.RECOMMEND", "films", u, "20", "WITHSCORES"});
    probes.push_back({"RECO.USER.SEEN.HAS", u, "f1"});
  }
  probes.push_back({"RECO.RECOMMEND", "films", "u:4", "15", "SESSION", "2", "f40", "f41",
                    "EXCLUDE", "2", "f42", "f43", "WITHSCORES"});
  probes.push_back({"RECO.RECOMMEND", "films", "u:5", "30", "BUDGET", "POPULAR", "0",
                    "WEIGHT", "TERM", "2", "WITHSCORES"});
  probes.push_back({"RECO.RECOMMEND", "tiny", "u:tiny", "3", "WITHSCORES"});
  for (int i = 1; i < kItems; i += 23)
    probes.push_back({"RECO.SIMILAR", "films", film(i), "10", "WITHSCORES"});
  std::mt19937_64 rng(3);
  for (int q = 0; q < 5; ++q)
    probes.push_back(
        {"RECO.KNN", "films", "12", "FP32", fp32(random_vector(rng, kDim)), "WITHSCORES"});

  auto replies = pipeline(c, probes);
  std::vector<Observation> out;
  auto list = c.cmd({"RECO.CATALOG.LIST"});
  std::vector<std::string> names = list.is_array() ? list.strings() : std::vector<std::string>{list.to_string()};
  std::sort(names.begin(), names.end());
  std::string all;
  for (auto& n : names) all += n + ",";
  out.emplace_back("RECO.CATALOG.LIST (sorted)", all);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    Reply r = replies[i];
    if (probes[i][0] == "RECO.CATALOG.INFO" && r.is_array()) {
      Reply trimmed;
      trimmed.type = Reply::Type::Array;
      for (std::size_t j = 0; j + 1 < r.elements.size(); j += 2)
        if (!r.elements[j].str.ends_with("memory_bytes")) {
          trimmed.elements.push_back(r.elements[j]);
          trimmed.elements.push_back(r.elements[j + 1]);
        }
      r = trimmed;
    }
    out.emplace_back(join(probes[i]), r.to_string());
  }
  return out;
}

void expect_same(const std::vector<Observation>& before, const std::vector<Observation>& after) {
  ASSERT_EQ(before.size(), after.size());
  int shown = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i].second != after[i].second && ++shown <= 15)
      ADD_FAILURE() << before[i].first << "\n  before: " << before[i].second
                    << "\n  after:  " << after[i].second;
  }
  EXPECT_EQ(shown, 0) << "observations that changed";
}

// The observations must show a populated server, or comparing them proves nothing.
void expect_populated(const std::vector<Observation>& obs) {
  for (auto& [what, reply] : obs) {
    if (what.find("doomed") == std::string::npos) {
      EXPECT_NE(reply.rfind("(error)", 0), 0u) << what << " -> " << reply;
    }
  }
  for (auto& [what, reply] : obs) {
    if (what == "RECO.CATALOG.INFO films") {
      EXPECT_TRUE(reply.find("\"items\", (integer) 298") != std::string::npos ||
                  reply.find("\"items\", \"298\"") != std::string::npos)
          << reply;
    }
    if (what == "RECO.CATALOG.LIST (sorted)") {
      EXPECT_EQ(reply, "empty,films,tiny,");
    }
  }
}

class Persistence : public ::testing::Test {
 protected:
  void start(const ConfigLines& config = {}) {
    ConfigLines all{{"sanitize-dump-payload", "yes"}};
    all.insert(all.end(), config.begin(), config.end());
    srv.start(RECO_MODULE_PATH, all);
  }
  RedisServer srv;
};

TEST_F(Persistence, SaveAndRestart) {
  start();
  Client c = srv.client();
  load(c, part_one());
  load(c, part_two());
  auto before = observe(c);
  expect_populated(before);
  ASSERT_EQ(srv.cmd({"SAVE"}).str, "OK");
  srv.restart();
  Client c2 = srv.client();
  expect_same(before, observe(c2));
  // Saving what was loaded and loading it again changes nothing either.
  ASSERT_EQ(srv.cmd({"SAVE"}).str, "OK");
  srv.restart();
  Client c3 = srv.client();
  expect_same(before, observe(c3));
}

TEST_F(Persistence, DebugReload) {
  start();
  Client c = srv.client();
  load(c, part_one());
  load(c, part_two());
  auto before = observe(c);
  expect_populated(before);
  Reply r = c.cmd({"DEBUG", "RELOAD"});
  ASSERT_FALSE(r.is_error()) << r.str;
  expect_same(before, observe(c));
}

TEST_F(Persistence, WritesAfterReloadMatchWritesWithout) {
  // Dense ids and the free list survive a reload: the same later writes then give the same
  // answers on a reloaded server as on one that never restarted.
  start();
  Client c = srv.client();
  load(c, part_one());
  load(c, part_two());
  std::vector<Args> later{{"RECO.ITEM.DEL", "films", "f50", "f51"},
                          {"RECO.ITEM.SET", "films", "n1", "VALUES", "16", "1", "0", "0", "0",
                           "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"},
                          {"RECO.ITEM.SET", "films", "n2", "VALUES", "16", "1", "0", "0", "0",
                           "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"},
                          {"RECO.ITEM.SET", "films", "n3", "VALUES", "16", "1", "0", "0", "0",
                           "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"}};
  ASSERT_EQ(c.cmd({"SAVE"}).str, "OK");
  load(c, later);
  auto straight = observe(c);
  // n1..n3 are exact duplicates: their order in KNN is decided by internal ids alone.
  auto knn = c.cmd({"RECO.KNN", "films", "3", "VALUES", "16", "1", "0", "0", "0", "0", "0",
                    "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"});
  srv.restart();
  Client c2 = srv.client();
  load(c2, later);
  expect_same(straight, observe(c2));
  EXPECT_EQ(c2.cmd({"RECO.KNN", "films", "3", "VALUES", "16", "1", "0", "0", "0", "0", "0",
                    "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"})
                .to_string(),
            knn.to_string());
}

void wait_rewrite_idle(RedisServer& srv) {
  wait_until(
      [&] {
        auto p = srv.info("persistence");
        return p["aof_rewrite_in_progress"] == "0" && p["aof_rewrite_scheduled"] == "0";
      },
      std::chrono::seconds(20), "AOF rewrite to finish");
}

TEST_F(Persistence, AofRewriteThenAppends) {
  start({{"appendonly", "yes"}, {"aof-use-rdb-preamble", "yes"}});
  Client c = srv.client();
  wait_rewrite_idle(srv);
  load(c, part_one());
  Reply r = c.cmd({"BGREWRITEAOF"});
  ASSERT_FALSE(r.is_error()) << r.str;
  wait_rewrite_idle(srv);
  EXPECT_EQ(srv.info("persistence")["aof_last_bgrewrite_status"], "ok");
  load(c, part_two());
  auto before = observe(c);
  expect_populated(before);
  srv.restart();
  Client c2 = srv.client();
  expect_same(before, observe(c2));
  EXPECT_EQ(srv.info("persistence")["aof_enabled"], "1");
}

TEST_F(Persistence, AofWithoutPreambleKeepsUsers) {
  // Without the RDB preamble a rewrite can only emit commands; user keys must be among them.
  start({{"appendonly", "yes"}, {"aof-use-rdb-preamble", "no"}});
  Client c = srv.client();
  wait_rewrite_idle(srv);
  std::mt19937_64 rng(9);
  std::vector<Args> users;
  for (int u = 0; u < kUsers; ++u) users.push_back(user_set(u, rng));
  users.push_back({"RECO.USER.SET", "u:bin", "TERMS", "1", std::string("t\0x", 3), "1.5",
                   "FEATURES", "1", std::string("n\0", 2), std::string("\xff", 1)});
  load(c, users);
  ASSERT_FALSE(c.cmd({"BGREWRITEAOF"}).is_error());
  wait_rewrite_idle(srv);
  EXPECT_EQ(srv.info("persistence")["aof_last_bgrewrite_status"], "ok");
  load(c, {{"RECO.USER.SEEN.ADD", "u:1", "zz"}, {"RECO.USER.SET", "u:2", "TERMS", "0"}});
  std::vector<Args> probes;
  for (int u = 0; u < kUsers; ++u) probes.push_back({"RECO.USER.GET", "u:" + std::to_string(u)});
  probes.push_back({"RECO.USER.GET", "u:bin"});
  probes.push_back({"RECO.USER.SEEN.HAS", "u:1", "zz"});
  probes.push_back({"DBSIZE"});
  auto before = pipeline(c, probes);
  srv.restart();
  Client c2 = srv.client();
  auto after = pipeline(c2, probes);
  for (std::size_t i = 0; i < probes.size(); ++i)
    EXPECT_EQ(after[i].to_string(), before[i].to_string()) << join(probes[i]);
  EXPECT_EQ(after.back().integer, kUsers + 1);
}

TEST_F(Persistence, DumpRestoreRoundTrip) {
  start();
  Client c = srv.client();
  load(c, part_one());
  for (int u = 0; u < 3; ++u) {
    std::string key = "u:" + std::to_string(u);
    Reply dump = c.cmd({"DUMP", key});
    ASSERT_TRUE(dump.is_string()) << dump.to_string();
    Reply ok = c.cmd({"RESTORE", key + ":copy", "0", dump.str});
    ASSERT_FALSE(ok.is_error()) << ok.str;
    EXPECT_EQ(c.cmd({"RECO.USER.GET", key + ":copy"}).to_string(),
              c.cmd({"RECO.USER.GET", key}).to_string());
    EXPECT_EQ(c.cmd({"RECO.RECOMMEND", "films", key + ":copy", "10", "WITHSCORES"}).to_string(),
              c.cmd({"RECO.RECOMMEND", "films", key, "10", "WITHSCORES"}).to_string());
    EXPECT_EQ(c.cmd({"TYPE", key + ":copy"}).str, "reco-user");
  }
}

TEST_F(Persistence, CorruptedUserPayloadsAreRefused) {
  start();
  Client c = srv.client();
  load(c, part_one());
  ASSERT_FALSE(c.cmd(concat({"RECO.USER.SET", "victim", "VALUES", "16", "0.5", "-1", "2", "0.25",
                             "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
                            {"TERMS", "3", "g1", "2", "g2", "1.5", "a-longer-term-name", "0.5",
                      "FEATURES", "2", "gender", "F", "age", "31", "SEEN", "5", "f1", "f2",
                      "f3", "f4", "f5"}))
                   .is_error());
  Reply dump = c.cmd({"DUMP", "victim"});
  ASSERT_TRUE(dump.is_string());
  const std::string payload = dump.str;
  ASSERT_GT(payload.size(), 20u);
  // DUMP = type byte, module type id, the module's fields, EOF, then 2 bytes of RDB version
  // and 8 of CRC. The CRC check is switched off so the corruption reaches the module.
  ASSERT_EQ(c.cmd({"DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"}).str, "OK");
  const std::string body = payload.substr(0, payload.size() - 10);
  const std::string footer = payload.substr(payload.size() - 10);
  const std::string before = c.cmd({"RECO.USER.GET", "victim"}).to_string();

  int accepted = 0, refused = 0;
  auto attempt = [&](const std::string& bytes, const std::string& what, bool must_refuse) {
    Reply r = c.cmd({"RESTORE", "target", "0", bytes, "REPLACE"});
    Reply pong = c.cmd({"PING"});
    ASSERT_EQ(pong.str, "PONG") << "server did not survive " << what << "\n" << srv.log_tail();
    if (r.is_error()) {
      ++refused;
      EXPECT_EQ(c.cmd({"EXISTS", "target"}).integer, 0) << what;
      return;
    }
    ++accepted;
    EXPECT_FALSE(must_refuse) << what << " was accepted";
    // Whatever was accepted must be a usable user, with finite numbers only.
    Reply get = c.cmd({"RECO.USER.GET", "target"});
    EXPECT_TRUE(get.is_array()) << what << ": " << get.to_string();
    std::string shown = get.to_string();
    for (std::string bad : {"\"inf\"", "\"-inf\"", "nan", "\"Infinity\""})
      EXPECT_EQ(shown.find(bad), std::string::npos) << what << " loaded " << shown;
    // A corrupted vector may have another length, which RECOMMEND may refuse; it must not
    // take the server down.
    c.cmd({"RECO.RECOMMEND", "films", "target", "5"});
    c.cmd({"RECO.USER.SEEN.ADD", "target", "f9"});
    ASSERT_EQ(c.cmd({"PING"}).str, "PONG") << "server did not survive using " << what;
    c.cmd({"DEL", "target"});
  };

  // The untouched payload is accepted (so refusals below are about the corruption).
  attempt(payload, "original", false);
  ASSERT_EQ(accepted, 1);
  // Every truncation of the module's part (keeping the footer). RESTORE reads on into the
  // footer, so a cut just before the end can still parse (the footer's bytes become the
  // tail of the last field, its version's high byte the EOF marker); only those may pass.
  for (std::size_t cut = 1; cut < body.size(); ++cut) {
    attempt(body.substr(0, cut) + footer, "truncation at " + std::to_string(cut),
            cut + 4 < body.size());
    if (HasFatalFailure()) return;
  }
  // Every byte of it flipped (the leading type byte belongs to Redis, not to reco).
  for (std::size_t pos = 1; pos < body.size(); ++pos) {
    for (unsigned char mask : {0xffu, 0x01u, 0x80u}) {
      std::string b = body;
      b[pos] = char(b[pos] ^ mask);
      attempt(b + footer, "flip " + std::to_string(mask) + " at " + std::to_string(pos), false);
      if (HasFatalFailure()) return;
    }
  }
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 300; ++trial) {
    std::string b = body;
    for (int f = 0; f < 3; ++f) {
      std::size_t pos = 1 + rng() % (b.size() - 1);
      b[pos] = char(b[pos] ^ (1 + rng() % 255));
    }
    attempt(b + footer, "random corruption " + std::to_string(trial), false);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(refused, int(body.size()));

  // Targeted: values that are well-formed bytes but not acceptable numbers. The first term
  // weight (2.0) becomes 1e300 — a finite double, but no finite float — and the first
  // vector value (0.5f) becomes a NaN.
  auto replace_once = [&](const std::string& from, const std::string& to) {
    std::size_t at = body.find(from);
    EXPECT_NE(at, std::string::npos) << "pattern not found in the payload";
    EXPECT_EQ(body.find(from, at + 1), std::string::npos) << "pattern is not unique";
    std::string b = body;
    if (at != std::string::npos) b.replace(at, from.size(), to);
    return b + footer;
  };
  auto le_double = [](double d) {
    std::string b(8, '\0');
    std::memcpy(b.data(), &d, 8);  // the test host is little-endian, like RDB
    return b;
  };
  attempt(replace_once(std::string("\x04") + le_double(2.0), std::string("\x04") + le_double(1e300)),
          "term weight 1e300", true);
  attempt(replace_once(std::string("\x00\x00\x00\x3f\x00\x00\x80\xbf", 8),
                       std::string("\x00\x00\xc0\x7f\x00\x00\x80\xbf", 8)),
          "NaN in the vector", true);
  EXPECT_EQ(c.cmd({"RECO.USER.GET", "victim"}).to_string(), before);
  EXPECT_EQ(c.cmd({"RECO.CATALOG.INFO", "films"}).is_array(), true);
}

}  // namespace
}  // namespace reco::test
