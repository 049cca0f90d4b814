// Queries on worker threads (reco.threads), through the wire.
//
// - On a fixed state, every query kind gives byte-identical replies threaded and inline
//   (reco.threads 0), and MULTI/EXEC and scripts run inline even with workers.
// - A randomized workload: query connections hammer two catalogs while one connection
//   writes items, users, models, the blend and index settings, drops and re-creates a
//   catalog, and DELs, EXPIREs and RENAMEs user keys; a second phase adds FLUSHALL and
//   clients that disconnect with queries in flight. The server must survive, queries may
//   only fail with errors a serial execution could also give, and once a delete or a
//   SEEN.ADD is acknowledged, no query sent afterwards returns that item (for that user).
// - reco.threads is a module config: CONFIG GET/SET, and INFO reports the workers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "model_file.hpp"
#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

constexpr std::size_t kDim = 8;
constexpr int kItems = 3000;
constexpr int kUsers = 40;

std::string item(int i) { return "i" + std::to_string(i); }
std::string user(int u) { return "user:" + std::to_string(u); }

const std::vector<std::string> kGenres{"Action", "Comedy", "Drama", "Horror", "Romance"};

// Items with vectors, genres, popularity and time; users with vectors, genre weights,
// seen items and model features; an active model on "main".
void load_state(RedisServer& srv, const std::string& catalog, std::uint64_t seed) {
  Client c = srv.client();
  std::mt19937_64 rng(seed);
  std::vector<Args> cmds{{"RECO.CATALOG.CREATE", catalog, "DIM", std::to_string(kDim), "METRIC", "IP",
                          "INDEX", "HNSW"}};
  for (int i = 0; i < kItems; ++i) {
    cmds.push_back(concat({"RECO.ITEM.SET", catalog, item(i), "FP32", fp32(random_vector(rng, kDim)),
                           "POPULARITY", std::to_string(rng() % 50), "TIME", std::to_string(rng() % 1000),
                           "TERMS", "2", kGenres[i % 5], kGenres[(i % 5 + 1 + (i / 5) % 4) % 5]},
                          {}));
  }
  load(c, cmds);
}

void load_users(RedisServer& srv, std::uint64_t seed) {
  Client c = srv.client();
  std::mt19937_64 rng(seed);
  std::vector<Args> cmds;
  for (int u = 0; u < kUsers; ++u) {
    Args a{"RECO.USER.SET", user(u), "FP32", fp32(random_vector(rng, kDim)), "TERMS", "2",
           kGenres[u % 5], "2", kGenres[(u + 2) % 5], "1", "SEEN", "20"};
    for (int s = 0; s < 20; ++s) a.push_back(item(int(rng() % kItems)));
    a.insert(a.end(), {"FEATURES", "2", "gender", u % 2 ? "F" : "M", "age", std::to_string(20 + u)});
    cmds.push_back(a);
  }
  load(c, cmds);
}

// A random query against `catalog`; `u` the user it is for.
Args random_query(std::mt19937_64& rng, const std::string& catalog, int u) {
  switch (rng() % 7) {
    case 0:
      return {"RECO.RECOMMEND", catalog, user(u), "10"};
    case 1:
      return {"RECO.RECOMMEND", catalog, user(u), "20", "WITHSCORES", "SESSION", "2",
              item(int(rng() % kItems)), item(int(rng() % kItems)), "EXCLUDE", "1", item(int(rng() % kItems))};
    case 2:
      return {"RECO.RECOMMEND", catalog, user(u), "15", "HASTERM", "1", kGenres[rng() % 5], "MODEL", "NONE",
              "BUDGET", "VECTOR", "50", "WITHSCORES"};
    case 3:
      return {"RECO.SIMILAR", catalog, item(int(rng() % kItems)), "10", "WITHSCORES"};
    case 4: {
      std::vector<float> q(kDim);
      for (auto& x : q) x = float(int(rng() % 200) - 100) / 50.0f;
      return concat({"RECO.KNN", catalog, "10"}, concat(values_args(q), {"EF", "80", "WITHSCORES"}));
    }
    case 5:
      return {"RECO.SCORE", catalog, user(u), "3", item(int(rng() % kItems)), item(int(rng() % kItems)),
              "nope", "CONTEXT", "1", "hour", "morning"};
    default:
      return {"RECO.RECOMMEND", catalog, "cold:" + std::to_string(u), "10", "WITHSCORES"};
  }
}

class ThreadedQueries : public ::testing::Test {
 protected:
  void SetUp() override {
    srv.start(RECO_MODULE_PATH, {}, {});
    ASSERT_EQ(srv.cmd({"CONFIG", "SET", "reco.threads", "2"}).str, "OK");
  }
  long long info_field(const std::string& name) { return std::stoll(srv.info("reco").at("reco_" + name)); }

  RedisServer srv;
};

TEST_F(ThreadedQueries, ThreadsIsAModuleConfig) {
  auto r = srv.cmd({"CONFIG", "GET", "reco.threads"});
  ASSERT_EQ(r.strings(), (std::vector<std::string>{"reco.threads", "2"}));
  EXPECT_EQ(info_field("threads"), 2);
  EXPECT_TRUE(srv.cmd({"CONFIG", "SET", "reco.threads", "-1"}).is_error());
  EXPECT_TRUE(srv.cmd({"CONFIG", "SET", "reco.threads", "100000"}).is_error());
  ASSERT_EQ(srv.cmd({"CONFIG", "SET", "reco.threads", "3"}).str, "OK");
  EXPECT_EQ(info_field("threads"), 3);
  ASSERT_EQ(srv.cmd({"CONFIG", "SET", "reco.threads", "0"}).str, "OK");
  EXPECT_EQ(info_field("threads"), 0);
  for (const char* f : {"queue_length", "busy_workers", "queries_threaded", "queries_inline",
                        "queries_requeued"})
    EXPECT_GE(info_field(f), 0) << f;
}

TEST(ThreadsConfig, SetAtLoadTime) {
  RedisServer srv;
  srv.start(RECO_MODULE_PATH, {{"reco.threads", "5"}});
  EXPECT_EQ(srv.cmd({"CONFIG", "GET", "reco.threads"}).strings()[1], "5");
  EXPECT_EQ(srv.info("reco").at("reco_threads"), "5");
}

TEST_F(ThreadedQueries, SameAnswersThreadedAndInline) {
  load_state(srv, "main", 1);
  load_users(srv, 2);
  TestModel model(3, true);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "main", "v1", model.bytes(), "ACTIVATE"}).str, "OK");

  std::mt19937_64 rng(9);
  std::vector<Args> queries;
  for (int i = 0; i < 300; ++i) queries.push_back(random_query(rng, "main", int(rng() % kUsers)));
  // Errors are answers too: the same errors, in both modes.
  queries.push_back({"RECO.SIMILAR", "main", "no-such-item", "5"});
  queries.push_back({"RECO.RECOMMEND", "nope", user(1), "5"});
  queries.push_back({"RECO.RECOMMEND", "main", user(1), "5", "MODEL", "v9"});
  queries.push_back({"RECO.KNN", "main", "5", "VALUES", "2", "1", "2"});

  Client c = srv.client();
  const long long threaded_before = info_field("queries_threaded");
  std::vector<Reply> threaded = pipeline(c, queries, 64);
  EXPECT_GE(info_field("queries_threaded") - threaded_before, 300);

  ASSERT_EQ(srv.cmd({"CONFIG", "SET", "reco.threads", "0"}).str, "OK");
  const long long inline_before = info_field("queries_inline");
  std::vector<Reply> inline_ = pipeline(c, queries, 64);
  EXPECT_GE(info_field("queries_inline") - inline_before, 300);

  std::size_t errors = 0;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    ASSERT_EQ(threaded[i].to_string(), inline_[i].to_string()) << join(queries[i]);
    errors += threaded[i].is_error();
  }
  EXPECT_EQ(errors, 4u);

  // MULTI/EXEC and scripts run inline even with workers, with the same answers.
  ASSERT_EQ(srv.cmd({"CONFIG", "SET", "reco.threads", "2"}).str, "OK");
  const Args q{"RECO.RECOMMEND", "main", user(3), "10", "WITHSCORES"};
  const std::string expect = c.cmd(q).to_string();
  const long long before = info_field("queries_inline");
  ASSERT_EQ(c.cmd({"MULTI"}).str, "OK");
  c.cmd(q);
  Reply exec = c.cmd({"EXEC"});
  ASSERT_TRUE(exec.is_array()) << exec.to_string();
  EXPECT_EQ(exec.elements.at(0).to_string(), expect);
  Reply script = c.cmd({"EVAL", "return redis.call('RECO.RECOMMEND', 'main', KEYS[1], '10', 'WITHSCORES')",
                        "1", user(3)});
  EXPECT_EQ(script.to_string(), expect);
  EXPECT_EQ(info_field("queries_inline") - before, 2);
}

// Errors a query may meet when writes run meanwhile; each could also come from a serial
// execution (the item, catalog or version is gone at the moment the query runs).
bool expected_error(const std::string& e) {
  for (const char* ok : {"ERR no such catalog", "ERR no such item", "ERR no model version",
                         "ERR catalog 'main' has no active model", "ERR catalog 'tmp' has no active model"})
    if (e.rfind(ok, 0) == 0) return true;
  return false;
}

struct Shared {
  std::mutex mu;
  std::set<std::string> deleted;                   // acknowledged ITEM.DELs ("main" only)
  std::map<int, std::set<std::string>> seen;       // acknowledged SEEN.ADDs (stable users)
  std::atomic<bool> stop{false};
  std::atomic<long> queries{0}, expected_errors{0};
  std::mutex fail_mu;
  std::vector<std::string> failures;
  void fail(const std::string& what) {
    std::lock_guard<std::mutex> g(fail_mu);
    if (failures.size() < 20) failures.push_back(what);
  }
};

// Readers: stable users are 0..kUsers/2-1 (only SEEN.ADD and USER.SET touch them); the
// others are churned by DEL/EXPIRE/RENAME.
// With FLUSHALL in the mix, seen-sets may vanish (the user turns cold), so only deletes
// are checked then.
void reader(RedisServer& srv, Shared& sh, std::uint64_t seed, bool disconnecting, bool check_seen) {
  std::mt19937_64 rng(seed);
  auto c = std::make_unique<Client>(srv.client());
  while (!sh.stop) {
    if (disconnecting && rng() % 50 == 0) {
      // Queries in flight, then the connection goes away.
      for (int i = 0; i < 8; ++i) c->send(random_query(rng, "main", int(rng() % kUsers)));
      c = std::make_unique<Client>(srv.client());
      continue;
    }
    const bool on_tmp = rng() % 4 == 0;
    const int u = int(rng() % kUsers);
    Args q = random_query(rng, on_tmp ? "tmp" : "main", u);
    std::set<std::string> deleted, seen;
    {
      std::lock_guard<std::mutex> g(sh.mu);
      if (!on_tmp) deleted = sh.deleted;
      if (check_seen && !on_tmp && u < kUsers / 2 && q[0] == "RECO.RECOMMEND" && q[2] == user(u))
        seen = sh.seen[u];
    }
    Reply r = c->cmd(q);
    ++sh.queries;
    if (r.is_error()) {
      if (expected_error(r.str)) {
        ++sh.expected_errors;
      } else {
        sh.fail(join(q) + " -> " + r.str);
      }
      continue;
    }
    if (q[0] == "RECO.SCORE" || !r.is_array()) continue;
    const bool with_scores = std::find(q.begin(), q.end(), "WITHSCORES") != q.end();
    for (std::size_t i = 0; i < r.elements.size(); i += with_scores ? 2 : 1) {
      const std::string& id = r.elements[i].str;
      if (deleted.count(id)) sh.fail(join(q) + " returned deleted " + id);
      if (seen.count(id)) sh.fail(join(q) + " returned seen " + id);
    }
  }
}

void writer(RedisServer& srv, Shared& sh, std::uint64_t seed, bool flushes, const std::string& model_bytes) {
  std::mt19937_64 rng(seed);
  Client c = srv.client();
  int next_item = kItems;
  int next_model = 0;
  while (!sh.stop) {
    const int op = int(rng() % 14);
    Reply r;
    if (op == 0) {  // delete an item for good (never re-created)
      const std::string id = item(int(rng() % kItems));
      r = c.cmd({"RECO.ITEM.DEL", "main", id});
      std::lock_guard<std::mutex> g(sh.mu);
      sh.deleted.insert(id);
    } else if (op == 1) {  // a new item, or new vector/popularity for a live one
      r = c.cmd({"RECO.ITEM.SET", "main", item(next_item++), "FP32", fp32(random_vector(rng, kDim)),
                 "POPULARITY", std::to_string(rng() % 60), "TERMS", "1", kGenres[rng() % 5]});
    } else if (op == 2) {
      const std::string id = item(int(rng() % kItems));
      bool gone;
      {
        std::lock_guard<std::mutex> g(sh.mu);
        gone = sh.deleted.count(id) > 0;
      }
      const std::size_t g = rng() % 5;
      if (!gone)
        r = c.cmd({"RECO.ITEM.SET", "main", id, "POPULARITY", std::to_string(rng() % 60), "TERMS", "2",
                   kGenres[g], kGenres[(g + 1 + rng() % 4) % 5]});
    } else if (op == 3) {  // a stable user sees an item
      const int u = int(rng() % (kUsers / 2));
      const std::string id = item(int(rng() % kItems));
      r = c.cmd({"RECO.USER.SEEN.ADD", user(u), id});
      std::lock_guard<std::mutex> g(sh.mu);
      sh.seen[u].insert(id);
    } else if (op == 4) {  // churned users: DEL, EXPIRE, RENAME, re-create
      const int u = kUsers / 2 + int(rng() % (kUsers / 2));
      switch (rng() % 4) {
        case 0: r = c.cmd({"DEL", user(u)}); break;
        case 1: r = c.cmd({"PEXPIRE", user(u), std::to_string(1 + rng() % 20)}); break;
        case 2: r = c.cmd({"RENAME", user(u), user(kUsers / 2 + int(rng() % (kUsers / 2)))}); break;
        default:
          r = c.cmd({"RECO.USER.SET", user(u), "FP32", fp32(random_vector(rng, kDim)), "TERMS", "1",
                     kGenres[rng() % 5], "1"});
      }
      if (r.is_error() && r.str.find("no such key") != std::string::npos) r = Reply{};
    } else if (op == 5) {  // models: put, activate, roll back, delete
      const std::string v = "m" + std::to_string(next_model % 4);
      switch (rng() % 4) {
        case 0:
          r = c.cmd({"RECO.MODEL.PUT", "main", v, model_bytes, "ACTIVATE"});
          if (r.is_error() && r.str.find("too many") != std::string::npos) r = Reply{};
          ++next_model;
          break;
        case 1: r = c.cmd({"RECO.MODEL.DEL", "main", v, "FORCE"}); break;
        case 2:
          r = c.cmd({"RECO.MODEL.ROLLBACK", "main"});
          if (r.is_error()) r = Reply{};  // an empty history is refused; that is fine here
          break;
        default:
          r = c.cmd({"RECO.MODEL.ACTIVATE", "main", v});
          if (r.is_error()) r = Reply{};  // the version may have been deleted
      }
    } else if (op == 6) {
      r = c.cmd({"RECO.CATALOG.CONFIG", "SET", "main", "WEIGHT.TERM", std::to_string(rng() % 3), "EF_RUNTIME",
                 std::to_string(16 + rng() % 100)});
    } else if (op == 7) {  // the second catalog comes and goes
      if (rng() % 2) {
        r = c.cmd({"RECO.CATALOG.DROP", "tmp"});
        if (r.is_error()) r = Reply{};
      } else {
        r = c.cmd({"RECO.CATALOG.CREATE", "tmp", "DIM", std::to_string(kDim), "METRIC", "IP"});
        if (!r.is_error()) {
          std::vector<Args> items;
          for (int i = 0; i < 300; ++i)
            items.push_back({"RECO.ITEM.SET", "tmp", item(i), "FP32", fp32(random_vector(rng, kDim)),
                             "POPULARITY", std::to_string(i % 7), "TERMS", "1", kGenres[i % 5]});
          for (const Reply& x : pipeline(c, items))
            if (x.is_error()) sh.fail("tmp load: " + x.str);
        }
        r = Reply{};
      }
    } else if (op == 8 && flushes && rng() % 20 == 0) {
      r = c.cmd({"FLUSHALL"});
    } else if (op == 9 && rng() % 10 == 0) {
      // Resizing the pool while queries and handed-over writes are in flight (a shrink
      // that waited for its workers would deadlock against a write waiting for this thread).
      r = c.cmd({"CONFIG", "SET", "reco.threads", std::to_string(1 + rng() % 3)});
      if (rng() % 4 == 0) r = c.cmd({"CONFIG", "SET", "reco.threads", "0"});
    } else {
      r = c.cmd({"RECO.USER.SET", user(int(rng() % (kUsers / 2))), "TERMS", "1", kGenres[rng() % 5], "3"});
    }
    if (r.is_error()) sh.fail("write -> " + r.str);
  }
}

void run_workload(RedisServer& srv, std::chrono::seconds how_long, bool flushes, std::uint64_t seed) {
  Shared sh;
  TestModel model(21, false);
  const std::string bytes = model.bytes();
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] { reader(srv, sh, seed * 100 + i, flushes && i == 0, !flushes); });
  threads.emplace_back([&] { writer(srv, sh, seed, flushes, bytes); });
  std::this_thread::sleep_for(how_long);
  sh.stop = true;
  for (auto& t : threads) t.join();
  for (const auto& f : sh.failures) ADD_FAILURE() << f;
  std::printf("workload: %ld queries (%ld refused with an expected error), %zu items deleted\n",
              sh.queries.load(), sh.expected_errors.load(), sh.deleted.size());
  EXPECT_GT(sh.queries.load(), 500);
  EXPECT_EQ(srv.cmd({"PING"}).str, "PONG") << srv.log_tail();
}

TEST_F(ThreadedQueries, RandomizedWritesDuringQueries) {
  load_state(srv, "main", 4);
  load_users(srv, 5);
  run_workload(srv, std::chrono::seconds(12), false, 6);
  EXPECT_GT(info_field("queries_threaded"), 500);
}

TEST_F(ThreadedQueries, FlushallAndDisconnectsDuringQueries) {
  load_state(srv, "main", 7);
  load_users(srv, 8);
  run_workload(srv, std::chrono::seconds(8), true, 9);
  // A BGSAVE forked while workers hold read locks: the child must finish.
  ASSERT_FALSE(srv.cmd({"BGSAVE"}).is_error());
  wait_until([&] { return srv.info("persistence").at("rdb_bgsave_in_progress") == "0"; },
             std::chrono::seconds(20), "BGSAVE to finish");
  EXPECT_EQ(srv.info("persistence").at("rdb_last_bgsave_status"), "ok");
}

// BGSAVE and AOF rewrite fork while queries run and hold read locks; the children must
// finish, and a restart must serve what was saved.
TEST(ThreadedPersistence, ForkWhileQueriesRun) {
  RedisServer srv;
  srv.start(RECO_MODULE_PATH, {{"reco.threads", "2"}, {"appendonly", "yes"}});
  load_state(srv, "main", 10);
  load_users(srv, 11);
  Shared sh;
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) readers.emplace_back([&, i] { reader(srv, sh, 300 + i, false, true); });
  Client c = srv.client();
  for (int round = 0; round < 5; ++round) {
    ASSERT_FALSE(c.cmd({"BGSAVE"}).is_error());
    wait_until([&] { return srv.info("persistence").at("rdb_bgsave_in_progress") == "0"; },
               std::chrono::seconds(20), "BGSAVE to finish");
    ASSERT_EQ(srv.info("persistence").at("rdb_last_bgsave_status"), "ok");
    Reply r = c.cmd({"BGREWRITEAOF"});
    ASSERT_FALSE(r.is_error()) << r.str;
    wait_until([&] { return srv.info("persistence").at("aof_rewrite_in_progress") == "0" &&
                            srv.info("persistence").at("aof_rewrite_scheduled") == "0"; },
               std::chrono::seconds(20), "AOF rewrite to finish");
    ASSERT_EQ(srv.info("persistence").at("aof_last_bgrewrite_status"), "ok");
  }
  sh.stop = true;
  for (auto& t : readers) t.join();
  for (const auto& f : sh.failures) ADD_FAILURE() << f;
  const Args q{"RECO.RECOMMEND", "main", user(1), "10", "WITHSCORES"};
  const std::string before = c.cmd(q).to_string();
  srv.restart();
  EXPECT_EQ(srv.client().cmd(q).to_string(), before);
}

// A replica serves queries on its own workers, with the master's answers, while the master
// keeps writing and the replica applies the stream.
TEST(ThreadedReplica, ReplicaAnswersLikeItsMaster) {
  RedisServer master, replica;
  master.start(RECO_MODULE_PATH, {{"reco.threads", "2"}});
  replica.start(RECO_MODULE_PATH, {{"reco.threads", "2"}});
  load_state(master, "main", 12);
  load_users(master, 13);
  replica.replica_of(master);
  wait_for_sync(master, replica);

  std::mt19937_64 rng(14);
  std::vector<Args> queries;
  for (int i = 0; i < 200; ++i) queries.push_back(random_query(rng, "main", int(rng() % kUsers)));
  Client m = master.client(), r = replica.client();
  auto on_master = pipeline(m, queries, 50), on_replica = pipeline(r, queries, 50);
  long answered = 0;  // errors (SCORE without a model) are refused before any worker runs
  for (std::size_t i = 0; i < queries.size(); ++i) {
    ASSERT_EQ(on_master[i].to_string(), on_replica[i].to_string()) << join(queries[i]);
    answered += !on_replica[i].is_error();
  }
  EXPECT_GT(answered, 150);
  EXPECT_EQ(std::stoll(replica.info("reco").at("reco_queries_threaded")), answered);

  // Writes stream in while both answer queries: on the master, item writes made while
  // queries run are handed over (the lock wait on a worker, the write applied and
  // replicated from the reply callback). Once synced, answers agree again, and the last
  // write reached the replica without any later command to carry it.
  Shared sh;
  std::thread on_replica_reader([&] { reader(replica, sh, 15, false, false); });
  std::thread on_master_reader([&] { reader(master, sh, 16, false, false); });
  for (int i = 0; i < 300; ++i) {
    m.cmd({"RECO.USER.SEEN.ADD", user(int(rng() % kUsers)), item(int(rng() % kItems))});
    Reply w = m.cmd({"RECO.ITEM.SET", "main", item(int(rng() % kItems)), "POPULARITY", std::to_string(rng() % 90)});
    ASSERT_TRUE(w.is_integer()) << w.to_string();
    if (i % 50 == 0) m.cmd({"RECO.ITEM.DEL", "main", item(int(rng() % kItems))});
  }
  const std::string last = item(7);
  ASSERT_TRUE(m.cmd({"RECO.ITEM.SET", "main", last, "POPULARITY", "12345"}).is_integer());
  sh.stop = true;
  on_replica_reader.join();
  on_master_reader.join();
  for (const auto& f : sh.failures) ADD_FAILURE() << f;
  EXPECT_GT(std::stoll(master.info("reco").at("reco_writes_handed_over")), 0);
  wait_until([&] { return r.cmd({"RECO.ITEM.GET", "main", last}).to_string() ==
                          m.cmd({"RECO.ITEM.GET", "main", last}).to_string(); },
             std::chrono::seconds(10), "the last handed-over write to reach the replica");
  wait_for_sync(master, replica);
  on_master = pipeline(m, queries, 50);
  on_replica = pipeline(r, queries, 50);
  for (std::size_t i = 0; i < queries.size(); ++i)
    ASSERT_EQ(on_master[i].to_string(), on_replica[i].to_string()) << join(queries[i]);
}

}  // namespace
}  // namespace reco::test
