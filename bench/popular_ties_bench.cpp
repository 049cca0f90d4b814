// POPULARITY + 1 writes into a catalog of equal popularities while other clients query and
// ping: the worst write, query and PING latency, for two builds of reco.so side by side.
//
// The case the popular order handles worst as one sorted array: N items of equal popularity
// (a freshly imported catalog), then writes that each add 1 to a random item's popularity
// (what a view counter sends). Each such write moves its item from the middle of a tie group
// to the group's head. Meanwhile one connection sends cold RECO.RECOMMEND K 50 (answered
// from the popular order) back to back, and another sends PING every millisecond.
//
// Two servers, one per module (--module-a, default this build's reco.so; --module-b, e.g. a
// build of an earlier commit), are loaded once with the same catalog; the rounds alternate
// between them with the same clients and CPU placement (client threads unpinned, as the
// servers). Printed per round and module: write, query and PING round trips (p50, p99,
// max), commandstats usec_per_call of RECO.ITEM.SET, and reco_popular_resorts during the
// round (full sorts of the order: on the main thread, in a write or a query's dispatch).
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_client.hpp"
#include "bench_common.hpp"
#include "redis_server.hpp"

namespace {

using namespace reco_bench;
using Clock = std::chrono::steady_clock;

double micros(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

struct Side {
  std::string label;
  std::string module;
  std::unique_ptr<reco::test::RedisServer> server;
  std::vector<double> popularity;  // what the writer last set, per item
  std::mt19937_64 rng{7};
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t items = 1000000, writes = 100000, rounds = 4;
  std::string module_a = RECO_MODULE_PATH, module_b;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--items") items = parse_size(a, argv[i + 1]);
    else if (a == "--writes") writes = parse_size(a, argv[i + 1]);
    else if (a == "--rounds") rounds = parse_size(a, argv[i + 1]);
    else if (a == "--module-a") module_a = argv[i + 1];
    else if (a == "--module-b") module_b = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: popular_ties_bench [--items N] [--writes W (per module, over all rounds)] "
                   "[--rounds R] [--module-a reco.so] [--module-b reco.so]\n");
      return 2;
    }
  }
  std::vector<Side> sides;
  sides.push_back({"A", module_a, nullptr, {}, {}});
  if (!module_b.empty()) sides.push_back({"B", module_b, nullptr, {}, {}});
  for (Side& s : sides) {
    s.server = std::make_unique<reco::test::RedisServer>();
    s.server->start(s.module);
    Conn c(s.server->port());
    c.cmd({"RECO.CATALOG.CREATE", "cat", "DIM", "8", "METRIC", "IP", "INDEX", "FLAT"});
    Loader load(c, fail);
    std::mt19937_64 rng(3);
    std::normal_distribution<float> g;
    std::vector<float> v(8);
    for (std::size_t i = 0; i < items; ++i) {
      for (float& x : v) x = g(rng);
      load.send({"RECO.ITEM.SET", "cat", item_id(std::uint32_t(i)), "FP32", blob(v.data(), 8), "POPULARITY", "1",
                 "TERMS", "1", "g" + std::to_string(i % 4)});
    }
    load.drain();
    s.popularity.assign(items, 1.0);
    ReplyPtr q = c.cmd({"RECO.RECOMMEND", "cat", "nobody", "50"});  // sorts after the load
    if (q->type != REDIS_REPLY_ARRAY || q->elements != 50) fail("warm-up RECOMMEND: " + describe(q.get()));
  }
  std::printf("popular_ties_bench: %zu items, all POPULARITY 1; %zu POPULARITY + 1 writes per module over %zu "
              "rounds; cold RECOMMEND K 50 back to back and PING every 1 ms from other connections; %u CPUs\n",
              items, writes, rounds, std::thread::hardware_concurrency());
  for (const Side& s : sides) std::printf("  %s = %s\n", s.label.c_str(), s.module.c_str());
  std::printf("%-3s %5s %9s %9s %10s %9s %9s %10s %9s %10s %10s %8s\n", "mod", "round", "write p50", "write p99",
              "write max", "query p50", "query p99", "query max", "PING p99", "PING max", "us/ITEM.SET", "resorts");
  const std::size_t per_round = writes / rounds;
  for (std::size_t r = 0; r < rounds; ++r) {
    for (Side& s : sides) {
      const int port = s.server->port();
      Conn c(port);
      c.cmd({"CONFIG", "RESETSTAT"});
      const long long resorts0 = info_int(c, "reco", "reco_popular_resorts");
      std::atomic<bool> on{true};
      std::vector<double> ping_us, query_us, write_us;
      std::atomic<std::size_t> bad_queries{0};
      std::thread pinger([&] {
        Conn p(port);
        while (on.load()) {
          const auto t0 = Clock::now();
          ReplyPtr pr = p.cmd({"PING"});
          ping_us.push_back(micros(t0));
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      });
      std::thread querier([&] {
        Conn q(port);
        while (on.load()) {
          const auto t0 = Clock::now();
          ReplyPtr qr = q.cmd({"RECO.RECOMMEND", "cat", "nobody", "50"});
          query_us.push_back(micros(t0));
          if (qr->type != REDIS_REPLY_ARRAY || qr->elements != 50) ++bad_queries;
        }
      });
      for (std::size_t w = 0; w < per_round; ++w) {
        const std::size_t i = s.rng() % items;
        s.popularity[i] += 1;
        char pop[32];
        std::snprintf(pop, sizeof pop, "%.0f", s.popularity[i]);
        const auto t0 = Clock::now();
        ReplyPtr wr = c.cmd({"RECO.ITEM.SET", "cat", item_id(std::uint32_t(i)), "POPULARITY", pop});
        write_us.push_back(micros(t0));
        if (wr->type == REDIS_REPLY_ERROR) fail("ITEM.SET: " + describe(wr.get()));
      }
      on = false;
      pinger.join();
      querier.join();
      if (bad_queries) fail(std::to_string(bad_queries.load()) + " RECOMMEND replies were not 50 items");
      const long long resorts = info_int(c, "reco", "reco_popular_resorts") - resorts0;
      std::printf("%-3s %5zu %9.0f %9.0f %10.0f %9.0f %9.0f %10.0f %9.0f %10.0f %10.1f %8lld\n", s.label.c_str(), r,
                  percentile(write_us, 0.5), percentile(write_us, 0.99), percentile(write_us, 1.0), percentile(query_us, 0.5),
                  percentile(query_us, 0.99), percentile(query_us, 1.0), percentile(ping_us, 0.99), percentile(ping_us, 1.0),
                  usec_per_call(c, "reco.item.set"), resorts);
      std::fflush(stdout);
    }
  }
  // Both servers now hold the same popularities: their popular orders must agree.
  if (sides.size() == 2) {
    Conn a(sides[0].server->port()), b(sides[1].server->port());
    ReplyPtr ra = a.cmd({"RECO.RECOMMEND", "cat", "nobody", "50"}), rb = b.cmd({"RECO.RECOMMEND", "cat", "nobody", "50"});
    bool same = ra->elements == rb->elements;
    for (std::size_t i = 0; same && i < ra->elements; ++i)
      same = std::string(ra->element[i]->str, ra->element[i]->len) == std::string(rb->element[i]->str, rb->element[i]->len);
    std::printf("A and B serve the same cold top 50 after the writes: %s\n", same ? "yes" : "NO");
    if (!same) ++g_failures;
  }
  if (g_failures) std::printf("FAILED: %zu error replies or mismatches\n", g_failures);
  return g_failures ? 1 : 0;
}
