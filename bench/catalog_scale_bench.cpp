// A large catalog in a live redis-server: how long it takes to build through the command
// surface, to come back from an RDB, and how fast RECO.RECOMMEND answers at that size.
//
// Steps: N clustered items (default 1,000,000 x 32, METRIC IP, INDEX HNSW) go in through
// pipelined RECO.ITEM.SET; users with a vector and ~100 seen items each through
// RECO.USER.SET. Then a copy of the catalog to a second server (RECO.CATALOG.DUMP parts,
// RECO.CATALOG.RESTORE), timed against the build and checked by digest and answers. Then SAVE, a restart of the server on the same directory, and the load
// time as Redis itself logs it ("DB loaded from disk"). Then RECO.RECOMMEND latency
// (p50/p99) over many users, in interleaved rounds with PING as the round-trip floor and
// RECO.KNN on the user's vector (no seen-set) to show what the filter costs.
//
// Why it is shaped so:
// - Users are built to make filtering matter: each has a home cluster, its seen items are
//   drawn from it and its vector is near their mean, so seen items crowd its nearest
//   neighbours exactly as in a real feed.
// - Before the restart a sample of users' vector-only recommendations is kept and compared
//   with the answers after it: the reloaded index must answer the same. The sample is also
//   scored against an exact filtered search done here, so the latency is of a known recall.
// - The server runs on one core and this client on another (default 0 and 1; the server
//   inherits the mask set before it starts), so client work never steals the server's core.
// - Any error reply, a short answer or a seen item in a recommendation makes the exit
//   status non-zero: the numbers are of correct answers.
#include <hiredis/hiredis.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_client.hpp"
#include "bench_common.hpp"
#include "clustered_data.hpp"
#include "redis_server.hpp"

namespace {

using namespace reco_bench;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Options {
  std::size_t n = 1000000;
  std::size_t dim = 32;
  std::size_t clusters = 1000;
  std::size_t users = 2000;
  std::size_t seen = 100;
  std::size_t k = 50;
  std::size_t requests = 2000;  // per op per round
  std::size_t rounds = 3;
  std::size_t checked = 50;     // users whose answers are checked for recall and reload
  std::string metric = "IP";
  std::string index = "HNSW";   // AUTO, FLAT, HNSW, or "default" (no INDEX option)
  std::size_t m = 0, efc = 0, ef_runtime = 0;  // 0: the module's default
  std::string quant;            // NONE or INT8; empty: the module's default
  bool keep_float = false;
  std::uint64_t seed = 7;
  int server_cpu = 0, client_cpu = 1;
  std::string module = RECO_MODULE_PATH;
};

const char* kUsage =
    "usage: catalog_scale_bench [--n N] [--dim D] [--clusters C] [--users U] [--seen S]\n"
    "         [--k K] [--requests R] [--rounds R] [--checked C] [--metric IP|COSINE|L2]\n"
    "         [--index HNSW|AUTO|FLAT|default] [--m M] [--efc N] [--ef-runtime N]\n"
    "         [--quant NONE|INT8] [--keep-float] [--seed S] [--module PATH]\n"
    "         [--server-cpu C] [--client-cpu C]\n";

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (flag == "--keep-float") {
      o.keep_float = true;
      continue;
    }
    if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
    std::string v = argv[++i];
    if (flag == "--n") o.n = parse_size(flag, v);
    else if (flag == "--dim") o.dim = parse_size(flag, v);
    else if (flag == "--clusters") o.clusters = parse_size(flag, v);
    else if (flag == "--users") o.users = parse_size(flag, v);
    else if (flag == "--seen") o.seen = parse_size(flag, v);
    else if (flag == "--k") o.k = parse_size(flag, v);
    else if (flag == "--requests") o.requests = parse_size(flag, v);
    else if (flag == "--rounds") o.rounds = parse_size(flag, v);
    else if (flag == "--checked") o.checked = parse_size(flag, v);
    else if (flag == "--m") o.m = parse_size(flag, v);
    else if (flag == "--efc") o.efc = parse_size(flag, v);
    else if (flag == "--ef-runtime") o.ef_runtime = parse_size(flag, v);
    else if (flag == "--seed") o.seed = parse_size(flag, v);
    else if (flag == "--server-cpu") o.server_cpu = int(parse_size(flag, v));
    else if (flag == "--client-cpu") o.client_cpu = int(parse_size(flag, v));
    else if (flag == "--metric") o.metric = v;
    else if (flag == "--index") o.index = v;
    else if (flag == "--quant") o.quant = v;
    else if (flag == "--module") o.module = v;
    else throw std::runtime_error("unknown option " + flag + "\n" + kUsage);
  }
  if (o.n == 0 || o.dim == 0 || o.clusters == 0 || o.users == 0 || o.k == 0 ||
      o.requests == 0 || o.rounds == 0)
    throw std::runtime_error("--n, --dim, --clusters, --users, --k, --requests, --rounds must be > 0");
  if (o.seen + o.k > o.n) throw std::runtime_error("--seen + --k must not exceed --n");
  o.checked = std::min(o.checked, o.users);
  return o;
}

// ---- data -----------------------------------------------------------------------------------

struct User {
  std::string key;
  std::vector<float> vec;
  std::vector<std::uint32_t> seen;  // sorted
  bool has_seen(std::uint32_t l) const { return std::binary_search(seen.begin(), seen.end(), l); }
};

std::vector<User> make_users(const Options& o, const reco::bench::ClusteredData& d) {
  std::vector<std::vector<std::uint32_t>> members(d.clusters);
  for (std::uint32_t i = 0; i < d.n; ++i) members[d.cluster[i]].push_back(i);
  std::vector<double> w(d.clusters);
  for (std::size_t c = 0; c < d.clusters; ++c) w[c] = members[c].size() >= o.seen ? 1.0 : 0.0;
  if (std::all_of(w.begin(), w.end(), [](double x) { return x == 0; }))
    throw std::runtime_error("no cluster holds --seen items: lower --clusters or --seen");
  std::mt19937_64 rng(o.seed + 1);
  std::discrete_distribution<std::size_t> home(w.begin(), w.end());
  std::normal_distribution<float> gauss;
  std::vector<User> users(o.users);
  for (std::size_t j = 0; j < o.users; ++j) {
    User& u = users[j];
    u.key = "u:" + std::to_string(j);
    const auto& pool = members[home(rng)];
    std::uniform_int_distribution<std::size_t> any(0, pool.size() - 1);
    std::set<std::uint32_t> s;
    while (s.size() < o.seen) s.insert(pool[any(rng)]);
    u.seen.assign(s.begin(), s.end());
    u.vec.assign(o.dim, 0.f);
    for (std::uint32_t l : u.seen)
      for (std::size_t t = 0; t < o.dim; ++t) u.vec[t] += d.base[l * o.dim + t] / float(o.seen);
    for (float& x : u.vec) x += 0.1f * gauss(rng);
  }
  return users;
}

// Exact filtered top-k by the catalog's metric ("higher is better", as the module scores).
std::vector<std::uint32_t> exact_top(const Options& o, const reco::bench::ClusteredData& d,
                                     const std::vector<float>& unit_base, const User& u) {
  std::vector<float> q = u.vec;
  const bool cosine = o.metric == "COSINE" || o.metric == "cosine";
  const bool l2 = o.metric == "L2" || o.metric == "l2";
  if (cosine) reco::bench::normalise_rows(q, o.dim);
  const std::vector<float>& base = cosine ? unit_base : d.base;
  std::vector<std::pair<float, std::uint32_t>> best;
  best.reserve(d.n);
  for (std::uint32_t i = 0; i < d.n; ++i) {
    if (u.has_seen(i)) continue;
    const float* x = &base[std::size_t(i) * o.dim];
    float s = 0;
    if (l2) {
      for (std::size_t t = 0; t < o.dim; ++t) s -= (x[t] - q[t]) * (x[t] - q[t]);
    } else {
      for (std::size_t t = 0; t < o.dim; ++t) s += x[t] * q[t];
    }
    best.emplace_back(s, i);
  }
  std::size_t k = std::min(o.k, best.size());
  std::partial_sort(best.begin(), best.begin() + k, best.end(),
                    [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::uint32_t> out(k);
  for (std::size_t i = 0; i < k; ++i) out[i] = best[i].second;
  return out;
}

std::vector<std::uint32_t> labels_of(const redisReply* r) {
  std::vector<std::uint32_t> out;
  if (r->type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 0; i < r->elements; ++i)
    out.push_back(label_of(r->element[i]->str, r->element[i]->len));
  return out;
}

void check_recommendation(const redisReply* r, const User& u, std::size_t k, const char* what) {
  if (r->type != REDIS_REPLY_ARRAY) return fail(std::string(what) + " for " + u.key + ": " + describe(r));
  if (r->elements != k)
    return fail(std::string(what) + " for " + u.key + ": " + std::to_string(r->elements) + " items");
  for (std::uint32_t l : labels_of(r))
    if (l == UINT32_MAX || u.has_seen(l))
      return fail(std::string(what) + " for " + u.key + ": unknown or seen item");
}

std::vector<std::string> vector_only_args(const Options& o, const User& u) {
  const std::string k = std::to_string(o.k);
  return {"RECO.RECOMMEND", "c", u.key, k, "BUDGET", "VECTOR", k, "BUDGET", "TERM", "0",
          "BUDGET", "POPULAR", "0"};
}

// "DB loaded from disk: 1.234 seconds": the last such line of the server's log.
double logged_load_seconds(const std::string& log_path) {
  std::ifstream in(log_path);
  double secs = -1;
  const std::string tag = "DB loaded from disk: ";
  for (std::string line; std::getline(in, line);) {
    auto p = line.find(tag);
    if (p != std::string::npos) secs = std::atof(line.c_str() + p + tag.size());
  }
  return secs;
}

void print_catalog_info(Conn& c) {
  ReplyPtr r = c.cmd({"RECO.CATALOG.INFO", "c"});
  if (r->type != REDIS_REPLY_ARRAY) return fail("RECO.CATALOG.INFO: " + describe(r.get()));
  std::printf("  RECO.CATALOG.INFO:");
  for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
    const redisReply* v = r->element[i + 1];
    std::string val = v->type == REDIS_REPLY_INTEGER ? std::to_string(v->integer)
                      : v->type == REDIS_REPLY_ARRAY ? "[" + std::to_string(v->elements) + "]"
                      : v->str ? std::string(v->str, v->len) : "nil";
    std::printf(" %.*s=%s", int(r->element[i]->len), r->element[i]->str, val.c_str());
  }
  std::printf("\n");
}

long long catalog_items(Conn& c) {
  ReplyPtr r = c.cmd({"RECO.CATALOG.INFO", "c"});
  if (r->type != REDIS_REPLY_ARRAY) return -1;
  for (std::size_t i = 0; i + 1 < r->elements; i += 2)
    if (std::string(r->element[i]->str, r->element[i]->len) == "items")
      return r->element[i + 1]->type == REDIS_REPLY_INTEGER ? r->element[i + 1]->integer : -1;
  return -1;
}

std::string used_memory(reco::test::RedisServer& s) { return s.info("memory")["used_memory_human"]; }

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "catalog_scale_bench: %s\n", e.what());
    return 2;
  }
  try {
    auto t0 = Clock::now();
    auto d = reco::bench::make_clustered(o.n, o.dim, 0, o.clusters, o.seed);
    std::vector<float> unit_base;
    if (o.metric == "COSINE" || o.metric == "cosine") {
      unit_base = d.base;
      reco::bench::normalise_rows(unit_base, o.dim);
    }
    std::vector<User> users = make_users(o, d);
    std::printf("# %zu items x %zu dims (%zu clusters), %zu users x %zu seen, metric %s (data in %.1f s)\n",
                o.n, o.dim, o.clusters, o.users, o.seen, o.metric.c_str(), seconds_since(t0));

    pin_self(o.server_cpu);  // the server inherits this core
    reco::test::RedisServer server;
    server.start(o.module);
    pin_self(o.client_cpu);  // the client stays off the server's core
    auto conn = std::make_unique<Conn>(server.port());

    std::vector<std::string> create{"RECO.CATALOG.CREATE", "c", "DIM", std::to_string(o.dim),
                                    "METRIC", o.metric};
    if (o.index != "default") create.insert(create.end(), {"INDEX", o.index});
    if (o.m) create.insert(create.end(), {"M", std::to_string(o.m)});
    if (o.efc) create.insert(create.end(), {"EF_CONSTRUCTION", std::to_string(o.efc)});
    if (o.ef_runtime) create.insert(create.end(), {"EF_RUNTIME", std::to_string(o.ef_runtime)});
    if (!o.quant.empty()) create.insert(create.end(), {"QUANT", o.quant});
    if (o.keep_float) create.push_back("KEEP_FLOAT");
    std::string how;
    for (std::size_t i = 0; i < create.size(); ++i) how += (i ? " " : "") + create[i];
    ReplyPtr cr = conn->cmd(create);
    if (cr->type == REDIS_REPLY_ERROR) {
      std::fprintf(stderr, "%s: %s\n", how.c_str(), describe(cr.get()).c_str());
      return 1;
    }
    std::printf("# %s\n", how.c_str());

    // ---- build ----
    Loader load(*conn, fail);
    t0 = Clock::now();
    for (std::uint32_t i = 0; i < o.n; ++i)
      load.send({"RECO.ITEM.SET", "c", item_id(i), "FP32", blob(&d.base[std::size_t(i) * o.dim], o.dim)});
    load.drain();
    const double build_s = seconds_since(t0);
    std::printf("build: %zu RECO.ITEM.SET (pipelined) in %.2f s = %.0f items/s; used_memory %s\n", o.n,
                build_s, o.n / build_s, used_memory(server).c_str());
    print_catalog_info(*conn);

    t0 = Clock::now();
    for (const User& u : users) {
      std::vector<std::string> a{"RECO.USER.SET", u.key, "FP32", blob(u.vec.data(), o.dim), "SEEN",
                                 std::to_string(u.seen.size())};
      for (std::uint32_t l : u.seen) a.push_back(item_id(l));
      load.send(a);
    }
    load.drain();
    std::printf("users: %zu RECO.USER.SET in %.2f s\n", users.size(), seconds_since(t0));

    // ---- answers before the restart, and their recall against an exact filtered search ----
    std::vector<std::vector<std::uint32_t>> before(o.checked);
    double recall_sum = 0;
    t0 = Clock::now();
    for (std::size_t j = 0; j < o.checked; ++j) {
      ReplyPtr r = conn->cmd(vector_only_args(o, users[j]));
      check_recommendation(r.get(), users[j], o.k, "vector-only RECO.RECOMMEND");
      before[j] = labels_of(r.get());
      auto exact = exact_top(o, d, unit_base, users[j]);
      std::set<std::uint32_t> e(exact.begin(), exact.end());
      std::size_t hit = 0;
      for (std::uint32_t l : before[j]) hit += e.count(l);
      recall_sum += exact.empty() ? 1.0 : double(hit) / double(exact.size());
    }
    std::printf("recall@%zu of vector-only RECO.RECOMMEND vs exact filtered search: %.4f (%zu users, %.1f s)\n",
                o.k, recall_sum / double(o.checked), o.checked, seconds_since(t0));

    // ---- a copy to a second server (RECO.CATALOG.DUMP / RESTORE), against the build ----
    {
      pin_self(o.server_cpu);
      reco::test::RedisServer copy;
      copy.start(o.module);
      pin_self(o.client_cpu);
      Conn to(copy.port());
      std::vector<std::string> parts;
      double first_part_s = 0, last_part_s = 0;
      long long version = -1;
      t0 = Clock::now();
      for (long long p = 0, count = 1; p < count; ++p) {
        const auto tp = Clock::now();
        ReplyPtr r = conn->cmd({"RECO.CATALOG.DUMP", "c", std::to_string(p)});
        if (p == 0) first_part_s = seconds_since(tp);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) fail("RECO.CATALOG.DUMP: " + describe(r.get()));
        if (p == 0) count = r->element[1]->integer, version = r->element[0]->integer;
        else if (r->element[0]->integer != version) fail("the catalog changed during the dump");
        parts.emplace_back(r->element[2]->str, r->element[2]->len);
      }
      const double dump_s = seconds_since(t0);
      std::size_t bytes = 0;
      for (const auto& p : parts) bytes += p.size();
      // Another client PINGs the target every millisecond while the copy arrives: how long
      // its main thread is held. The restore runs twice: with the target's workers (the
      // last part's decode on one of them, the default) and with reco.threads 0 (inline).
      struct Restored {
        double seconds = 0, last_part = 0, ping_p99 = 0, ping_max = 0;
        std::size_t pings = 0;
      };
      const auto restore_all = [&](const char* threads) {
        Restored out;
        ReplyPtr cfg = to.cmd({"CONFIG", "SET", "reco.threads", threads});
        if (cfg->type == REDIS_REPLY_ERROR) fail("CONFIG SET reco.threads: " + describe(cfg.get()));
        std::atomic<bool> probing{true};
        std::vector<double> pings;
        std::thread prober([&] {
          Conn p(copy.port());
          while (probing.load()) {
            const auto tp = Clock::now();
            p.cmd({"PING"});
            pings.push_back(seconds_since(tp) * 1e3);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        });
        const auto t1 = Clock::now();
        for (std::size_t p = 0; p < parts.size(); ++p) {
          const auto tp = Clock::now();
          ReplyPtr r = to.cmd({"RECO.CATALOG.RESTORE", "c", std::to_string(p), std::to_string(parts.size()), parts[p],
                               "REPLACE"});
          if (p + 1 == parts.size()) out.last_part = seconds_since(tp);
          if (r->type == REDIS_REPLY_ERROR) fail("RECO.CATALOG.RESTORE: " + describe(r.get()));
        }
        out.seconds = seconds_since(t1);
        probing = false;
        prober.join();
        std::sort(pings.begin(), pings.end());
        out.pings = pings.size();
        if (!pings.empty()) {
          out.ping_p99 = pings[std::min(pings.size() - 1, pings.size() * 99 / 100)];
          out.ping_max = pings.back();
        }
        return out;
      };
      const Restored inline_run = restore_all("0");
      const Restored worker_run = restore_all("2");
      const double restore_s = worker_run.seconds;
      last_part_s = worker_run.last_part;
      std::printf("restore with reco.threads 0 (decode inline): %.2f s, last part %.2f s, PING on the target "
                  "p99 %.2f ms, max %.1f ms (%zu pings)\n", inline_run.seconds, inline_run.last_part,
                  inline_run.ping_p99, inline_run.ping_max, inline_run.pings);
      std::printf("restore with reco.threads 2 (decode on a worker): %.2f s, last part %.2f s, PING on the target "
                  "p99 %.2f ms, max %.1f ms (%zu pings)\n", worker_run.seconds, worker_run.last_part,
                  worker_run.ping_p99, worker_run.ping_max, worker_run.pings);
      const auto digest = [](Conn& c) {
        ReplyPtr r = c.cmd({"RECO.CATALOG.INFO", "c"});
        for (std::size_t i = 0; i + 1 < r->elements; i += 2)
          if (std::string(r->element[i]->str) == "digest") return std::string(r->element[i + 1]->str);
        return std::string("?");
      };
      std::size_t same = 0;
      for (std::size_t j = 0; j < o.checked; ++j) {
        std::vector<std::string> knn{"RECO.KNN", "c", std::to_string(o.k), "FP32", blob(users[j].vec.data(), o.dim)};
        ReplyPtr a = conn->cmd(knn), b = to.cmd(knn);
        same += labels_of(a.get()) == labels_of(b.get());
      }
      std::printf("copy: RECO.CATALOG.DUMP %zu parts (%.1f MB) in %.2f s (part 0, which encodes the copy: %.2f s); "
                  "RECO.CATALOG.RESTORE (workers) in %.2f s (the last part, which decodes it: %.2f s); total %.2f s = "
                  "%.0fx faster than the build; digest %s; %zu of %zu RECO.KNN answers equal; used_memory %s\n",
                  parts.size(), double(bytes) / 1e6, dump_s, first_part_s, restore_s, last_part_s,
                  dump_s + restore_s, build_s / (dump_s + restore_s), digest(*conn) == digest(to) ? "equal" : "DIFFERS",
                  same, o.checked, used_memory(copy).c_str());
      if (digest(*conn) != digest(to) || same != o.checked) fail("the copy does not serve like the original");
    }

    // ---- persistence ----
    t0 = Clock::now();
    ReplyPtr sr = conn->cmd({"SAVE"});
    const double save_s = seconds_since(t0);
    if (sr->type == REDIS_REPLY_ERROR) fail("SAVE: " + describe(sr.get()));
    std::error_code ec;
    auto rdb_bytes = std::filesystem::file_size(std::filesystem::path(server.dir()) / "dump.rdb", ec);
    conn.reset();
    pin_self(o.server_cpu);
    t0 = Clock::now();
    server.restart();
    const double restart_s = seconds_since(t0);
    pin_self(o.client_cpu);
    conn = std::make_unique<Conn>(server.port());
    const double load_s = logged_load_seconds(server.log_path());
    long long items_after = catalog_items(*conn);
    if (items_after != static_cast<long long>(o.n))
      fail("after restart the catalog holds " + std::to_string(items_after) + " items");
    std::printf("persist: SAVE %.2f s (%.1f MB); restart %.2f s wall; \"DB loaded from disk\" %.3f s; "
                "used_memory %s\n",
                save_s, ec ? -1.0 : double(rdb_bytes) / 1e6, restart_s, load_s, used_memory(server).c_str());
    if (load_s > 0)
      std::printf("  build / load = %.1fx (target >= 10x)\n", build_s / load_s);
    print_catalog_info(*conn);
    std::size_t same = 0;
    for (std::size_t j = 0; j < o.checked; ++j) {
      ReplyPtr r = conn->cmd(vector_only_args(o, users[j]));
      check_recommendation(r.get(), users[j], o.k, "vector-only RECO.RECOMMEND after restart");
      same += labels_of(r.get()) == before[j];
    }
    std::printf("  %zu of %zu checked users get the same answer after the restart\n", same, o.checked);
    if (same != o.checked) fail("answers changed across SAVE + restart");

    // ---- latency ----
    struct Op {
      const char* name;
      std::function<std::vector<std::string>(const User&)> args;
      bool is_recommend;
      std::vector<double> us;
    };
    std::vector<Op> ops;
    ops.push_back({"PING", [](const User&) { return std::vector<std::string>{"PING"}; }, false, {}});
    ops.push_back({"RECO.RECOMMEND K (defaults)",
                   [&](const User& u) {
                     return std::vector<std::string>{"RECO.RECOMMEND", "c", u.key, std::to_string(o.k)};
                   },
                   true, {}});
    ops.push_back({"RECO.RECOMMEND K vector only", [&](const User& u) { return vector_only_args(o, u); },
                   true, {}});
    // The same vector search with no seen-set: what the filter costs.
    ops.push_back({"RECO.KNN K (no filter)",
                   [&](const User& u) {
                     return std::vector<std::string>{"RECO.KNN", "c", std::to_string(o.k), "FP32",
                                                     blob(u.vec.data(), o.dim)};
                   },
                   false, {}});
    std::size_t next_user = 0;
    for (std::size_t round = 0; round < o.rounds; ++round) {
      for (Op& op : ops) {
        for (std::size_t i = 0; i < o.requests; ++i) {
          const User& u = users[next_user++ % users.size()];
          auto a = op.args(u);
          auto t = Clock::now();
          ReplyPtr r = conn->cmd(a);
          op.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
          if (op.is_recommend) check_recommendation(r.get(), u, o.k, op.name);
          else if (r->type == REDIS_REPLY_ERROR) fail(std::string(op.name) + ": " + describe(r.get()));
          else if (r->type == REDIS_REPLY_ARRAY && r->elements != o.k)
            fail(std::string(op.name) + ": " + std::to_string(r->elements) + " items");
        }
      }
    }
    std::printf("\nlatency (one connection, one request in flight; server core %d, client core %d; "
                "%zu rounds x %zu requests):\n", o.server_cpu, o.client_cpu, o.rounds, o.requests);
    std::printf("  %-32s %9s %9s %9s %9s\n", "op", "p50 us", "p99 us", "p99.9 us", "mean us");
    for (const Op& op : ops) {
      double mean = 0;
      for (double x : op.us) mean += x;
      mean /= double(op.us.size());
      std::printf("  %-32s %9.1f %9.1f %9.1f %9.1f\n", op.name, percentile(op.us, 0.5),
                  percentile(op.us, 0.99), percentile(op.us, 0.999), mean);
    }
    std::printf("  target: RECO.RECOMMEND p99 < 2000 us at 1M items (no model)\n");
    server.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "catalog_scale_bench: %s\n", e.what());
    return 1;
  }
  if (g_failures) {
    std::fprintf(stderr, "%zu checks failed\n", g_failures);
    return 1;
  }
  return 0;
}
