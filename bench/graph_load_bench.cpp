// Bulk-loading a graph catalog while another client pings: what the server's other clients
// see during a load, and how long the load takes, inline and with planned inserts.
//
// Each mode starts a fresh redis-server with `reco.threads T`, creates
// `RECO.CATALOG.CREATE c DIM d METRIC IP INDEX HNSW` (M 16, EF_CONSTRUCTION 200, the
// defaults) and loads N clustered items through pipelined RECO.ITEM.SET from C connections
// (item i on connection i mod C), while a separate connection sends PING every millisecond
// and records each round trip. Modes are `T:C`: 0:1 is the inline path (every insert's
// neighbour search on the main thread), 2:1 plans each insert on a worker, 2:2 has two
// loaders whose plans overlap.
//
// Why it is shaped so:
// - The server is not pinned: with workers it is meant to use both cores. Loader and
//   prober threads share the same two vCPUs, as they would on a small host.
// - The answer to a fixed set of RECO.KNN queries (K 50, WITHSCORES) is kept per mode:
//   modes that load from one connection apply the same writes in the same order and must
//   answer identically (planned inserts build the graph inline inserts build). With two
//   connections the order of writes differs from run to run, and so may the graph.
// - Modes run in interleaved rounds (--rounds), so drift of the machine shows as spread.
// - "main us" is commandstats' usec_per_call of RECO.ITEM.SET: the time each insert held
//   the main thread (for a planned insert, the parse plus the link step).
// - Any error reply makes the exit status non-zero.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
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

struct Mode {
  int threads;
  int connections;
  std::string name() const { return std::to_string(threads) + ":" + std::to_string(connections); }
};

struct Options {
  std::size_t n = 200000;
  std::size_t dim = 32;
  std::size_t clusters = 1000;
  std::size_t rounds = 1;
  std::vector<Mode> modes{{0, 1}, {2, 1}, {2, 2}};
  std::string module = RECO_MODULE_PATH;
};

const char* kUsage =
    "usage: graph_load_bench [--n N] [--dim D] [--clusters C] [--rounds R]\n"
    "         [--modes T:C,T:C,...] [--module PATH]\n";

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

long long info_field(Conn& c, const std::string& field) {
  ReplyPtr r = c.cmd({"INFO", "reco"});
  const std::string s(r->str, r->len);
  const auto at = s.find(field + ":");
  return at == std::string::npos ? -1 : std::atoll(s.c_str() + at + field.size() + 1);
}

struct Result {
  double load_s = 0;
  std::vector<double> ping_us;
  long long planned = 0, linked = 0, stale = 0;
  double main_us = 0;  // commandstats usec_per_call of RECO.ITEM.SET: its time on the main thread
  std::vector<std::string> answers;
};

Result run(const Options& o, const Mode& m, const reco::bench::ClusteredData& d) {
  reco::test::RedisServer server;
  server.start(o.module, {{"reco.threads", std::to_string(m.threads)}});
  Conn admin(server.port());
  ReplyPtr cr = admin.cmd({"RECO.CATALOG.CREATE", "c", "DIM", std::to_string(o.dim), "METRIC", "IP", "INDEX", "HNSW"});
  if (cr->type == REDIS_REPLY_ERROR) throw std::runtime_error(describe(cr.get()));

  Result res;
  std::atomic<bool> loading{true};
  std::thread prober([&] {
    Conn p(server.port());
    while (loading.load()) {
      const auto t0 = Clock::now();
      ReplyPtr r = p.cmd({"PING"});
      res.ping_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const auto t0 = Clock::now();
  std::vector<std::thread> loaders;
  for (int c = 0; c < m.connections; ++c) {
    loaders.emplace_back([&, c] {
      Conn conn(server.port());
      Loader load(conn, fail);
      for (std::size_t i = c; i < o.n; i += m.connections)
        load.send({"RECO.ITEM.SET", "c", item_id(std::uint32_t(i)), "FP32", blob(&d.base[i * o.dim], o.dim)});
      load.drain();
    });
  }
  for (auto& t : loaders) t.join();
  res.load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  loading = false;
  prober.join();
  res.planned = info_field(admin, "reco_writes_planned");
  res.linked = info_field(admin, "reco_graph_inserts_planned");
  res.stale = info_field(admin, "reco_graph_plans_stale");
  {
    ReplyPtr r = admin.cmd({"INFO", "commandstats"});
    const std::string st(r->str, r->len);
    const auto at = st.find("cmdstat_reco.item.set:");
    const auto u = st.find("usec_per_call=", at);
    if (at != std::string::npos && u != std::string::npos) res.main_us = std::atof(st.c_str() + u + 14);
  }
  for (std::size_t q = 0; q < d.nq; ++q) {
    ReplyPtr r = admin.cmd({"RECO.KNN", "c", "50", "FP32", blob(&d.queries[q * o.dim], o.dim), "WITHSCORES"});
    if (r->type != REDIS_REPLY_ARRAY) fail("knn: " + describe(r.get()));
    std::string a;
    for (std::size_t e = 0; e < r->elements; ++e) a += std::string(r->element[e]->str, r->element[e]->len) + " ";
    res.answers.push_back(a);
  }
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fputs(kUsage, stderr);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--n") o.n = parse_size(a, next());
    else if (a == "--dim") o.dim = parse_size(a, next());
    else if (a == "--clusters") o.clusters = parse_size(a, next());
    else if (a == "--rounds") o.rounds = parse_size(a, next());
    else if (a == "--module") o.module = next();
    else if (a == "--modes") {
      o.modes.clear();
      const std::string s = next();
      for (std::size_t p = 0; p < s.size();) {
        const std::size_t comma = std::min(s.find(',', p), s.size());
        const std::string one = s.substr(p, comma - p);
        const std::size_t colon = one.find(':');
        if (colon == std::string::npos) {
          std::fputs(kUsage, stderr);
          return 2;
        }
        o.modes.push_back({std::atoi(one.c_str()), std::atoi(one.c_str() + colon + 1)});
        p = comma + 1;
      }
    } else {
      std::fputs(kUsage, stderr);
      return a == "--help" ? 0 : 2;
    }
  }
  const auto d = reco::bench::make_clustered(o.n, o.dim, 100, o.clusters, 7);
  std::printf("graph_load_bench: %zu x %zu items (%zu clusters), METRIC IP INDEX HNSW (M 16, EF_CONSTRUCTION 200), "
              "PING every 1 ms from another connection, %zu round(s), %u CPUs\n",
              o.n, o.dim, o.clusters, o.rounds, std::thread::hardware_concurrency());
  std::printf("%-6s %5s %9s %10s %8s %9s %9s %10s %9s %9s %9s %7s %s\n", "mode", "round", "load s", "items/s",
              "main us", "PING p50", "p99 us", "p99.9 us", "max us", "planned", "linked", "stale", "answers");
  std::map<std::string, std::vector<std::string>> first_answers;
  std::vector<std::string> reference;  // the first mode's, first round
  for (std::size_t r = 0; r < o.rounds; ++r) {
    for (const Mode& m : o.modes) {
      Result res = run(o, m, d);
      std::string same = "-";
      if (reference.empty()) {
        reference = res.answers;
        same = "reference";
      } else {
        std::size_t eq = 0;
        for (std::size_t q = 0; q < reference.size(); ++q) eq += reference[q] == res.answers[q];
        same = std::to_string(eq) + "/" + std::to_string(reference.size()) + " as reference";
      }
      std::printf("%-6s %5zu %9.2f %10.0f %8.1f %9.0f %9.0f %10.0f %9.0f %9lld %9lld %7lld %s\n", m.name().c_str(), r,
                  res.load_s, double(o.n) / res.load_s, res.main_us, pct(res.ping_us, 0.5), pct(res.ping_us, 0.99),
                  pct(res.ping_us, 0.999), pct(res.ping_us, 1.0), res.planned, res.linked, res.stale, same.c_str());
      std::fflush(stdout);
    }
  }
  if (g_failures) std::printf("FAILED: %zu error replies or bad answers\n", g_failures);
  return g_failures ? 1 : 0;
}
