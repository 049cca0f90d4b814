// Re-sending every vector of a graph catalog (what a loader does after a retrain), then
// deleting and re-adding a share of it, while another client pings: the worst write.
//
// A catalog of N items (INDEX HNSW, D dims) is loaded pipelined; then, one write at a time
// from one connection (the latency of each is what a loader waits for):
//   resend  every item gets a new vector (RECO.ITEM.SET ... FP32): in a graph an update
//           unlinks the node, repairs its neighbours' lists and links it again in place;
//   delete  a random share of the items is deleted (RECO.ITEM.DEL): each delete repairs the
//           lists it was in; once tombstones reach 1/16 of the live nodes a sweep repairs
//           every list still pointing at one, inside that delete;
//   re-add  the deleted items come back with new vectors.
// A separate connection sends PING every millisecond. Printed per phase: write round trips
// (p50, p99, max), the main thread's usec_per_call of the phase's command (commandstats),
// graph sweeps during the phase (INFO reco_graph_sweeps), PING p99 and max.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

}  // namespace

int main(int argc, char** argv) {
  std::size_t items = 100000, dim = 32, delete_percent = 20;
  std::string module = RECO_MODULE_PATH, threads = "2";
  bool resend = true;  // the first phase (every vector re-sent); 0 measures deletes and re-adds only
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--items") items = parse_size(a, argv[i + 1]);
    else if (a == "--dim") dim = parse_size(a, argv[i + 1]);
    else if (a == "--delete-percent") delete_percent = parse_size(a, argv[i + 1]);
    else if (a == "--threads") threads = argv[i + 1];
    else if (a == "--module") module = argv[i + 1];
    else if (a == "--resend") resend = parse_size(a, argv[i + 1]) != 0;
    else {
      std::fprintf(stderr, "usage: graph_resend_bench [--items N] [--dim D] [--delete-percent P] [--threads T] "
                           "[--module reco.so] [--resend 0|1]\n");
      return 2;
    }
  }
  reco::test::RedisServer server;
  server.start(module, {{"reco.threads", threads}});
  Conn c(server.port());
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g;
  std::vector<float> v(dim);
  auto vec = [&] {
    for (float& x : v) x = g(rng);
    return blob(v.data(), dim);
  };
  ReplyPtr cr = c.cmd({"RECO.CATALOG.CREATE", "cat", "DIM", std::to_string(dim), "METRIC", "COSINE", "INDEX", "HNSW"});
  if (cr->type == REDIS_REPLY_ERROR) fail("CREATE: " + describe(cr.get()));
  const auto t_load = Clock::now();
  {
    Loader load(c, fail);
    for (std::size_t i = 0; i < items; ++i) load.send({"RECO.ITEM.SET", "cat", item_id(std::uint32_t(i)), "FP32", vec()});
    load.drain();
  }
  std::printf("graph_resend_bench: %zu x %zu HNSW (COSINE), reco.threads %s, loaded in %.1f s; one write at a time; "
              "PING every 1 ms from another connection; %u CPUs\n",
              items, dim, threads.c_str(), std::chrono::duration<double>(Clock::now() - t_load).count(),
              std::thread::hardware_concurrency());
  std::printf("%-8s %8s %10s %10s %10s %12s %7s %10s %10s\n", "phase", "writes", "p50 us", "p99 us", "max us",
              "main us/call", "sweeps", "PING p99", "PING max");

  std::vector<std::uint32_t> order(items);
  for (std::uint32_t i = 0; i < items; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  const std::size_t deletes = items * delete_percent / 100;
  struct Phase {
    const char* name;
    const char* command;
  };
  for (const Phase& p : {Phase{"resend", "reco.item.set"}, Phase{"delete", "reco.item.del"}, Phase{"re-add", "reco.item.set"}}) {
    if (p.name == std::string("resend") && !resend) continue;
    c.cmd({"CONFIG", "RESETSTAT"});
    const long long sweeps0 = info_int(c, "reco", "reco_graph_sweeps");
    std::atomic<bool> on{true};
    std::vector<double> ping_us, write_us;
    std::thread pinger([&] {
      Conn pc(server.port());
      while (on.load()) {
        const auto t0 = Clock::now();
        ReplyPtr pr = pc.cmd({"PING"});
        ping_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    const std::string phase = p.name;
    const std::size_t n = phase == "resend" ? items : deletes;
    for (std::size_t k = 0; k < n; ++k) {
      const std::string id = item_id(phase == "resend" ? std::uint32_t(k) : order[k]);
      std::vector<std::string> args;
      if (phase == "delete") args = {"RECO.ITEM.DEL", "cat", id};
      else args = {"RECO.ITEM.SET", "cat", id, "FP32", vec()};
      const auto t0 = Clock::now();
      ReplyPtr r = c.cmd(args);
      write_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      if (r->type == REDIS_REPLY_ERROR) fail(phase + ": " + describe(r.get()));
    }
    on = false;
    pinger.join();
    std::printf("%-8s %8zu %10.0f %10.0f %10.0f %12.1f %7lld %10.0f %10.0f\n", p.name, n, percentile(write_us, 0.5),
                percentile(write_us, 0.99), percentile(write_us, 1.0), usec_per_call(c, p.command),
                info_int(c, "reco", "reco_graph_sweeps") - sweeps0, percentile(ping_us, 0.99), percentile(ping_us, 1.0));
    std::fflush(stdout);
  }
  if (g_failures) std::printf("FAILED: %zu error replies\n", g_failures);
  return g_failures ? 1 : 0;
}
