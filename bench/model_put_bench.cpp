// RECO.MODEL.PUT of a large model while another client pings: how long the main thread is
// held, inline (reco.threads 0) and with the parse on a worker.
//
// A catalog of N items (INDEX FLAT, 8 dims: loading it is not what is measured) gets a
// model whose item_id field has a vocabulary of every item and an embedding of D dims
// (100,000 x 40 by default: a 17 MB file, the size the hardening issue measured), plus a
// user and a context field. The file is put R times under new version names (each PUT
// parses the file and builds the item tables again), each followed by RECO.MODEL.DEL.
// Meanwhile a separate connection sends PING every millisecond. Modes alternate
// (threads 0, threads 2) on one server, CONFIG SET between phases.
//
// Each phase also fills a second catalog of N items (with a term and a feature each) and
// drops it at the end, which frees it (on a worker when there is one).
//
// Printed per mode: the PUT round trip (p50/max); the main-thread time (commandstats
// usec_per_call) of PUT (for a PUT parsed on a worker, the argument checks and the
// install), of MODEL.DEL and of CATALOG.DROP; the PING round trips during the phase.
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
#include "model_file.hpp"
#include "redis_server.hpp"

namespace {

using namespace reco_bench;
using Clock = std::chrono::steady_clock;

std::string big_model(std::size_t items, std::size_t dim, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 0.1f);
  std::string vocab = "[";
  for (std::size_t i = 0; i < items; ++i) vocab += (i ? ",\"" : "\"") + item_id(std::uint32_t(i)) + "\"";
  vocab += "]";
  const std::string d = std::to_string(dim);
  const std::string schema =
      "{\"format\":\"reco.fm\",\"version\":1,\"output\":\"sigmoid\",\"groups\":[{\"name\":\"fm\",\"dim\":" + d +
      "}],\"fields\":[{\"name\":\"gender\",\"side\":\"user\",\"kind\":\"categorical\",\"vocab\":[\"F\",\"M\"],"
      "\"group\":\"fm\"},{\"name\":\"item_id\",\"side\":\"item\",\"kind\":\"categorical\",\"source\":\"id\","
      "\"vocab\":" + vocab + ",\"group\":\"fm\"},{\"name\":\"hour\",\"side\":\"context\",\"kind\":\"categorical\","
      "\"vocab\":[\"morning\",\"evening\"]}]}";
  auto tensor = [&](const std::string& name, std::vector<std::size_t> shape) {
    std::size_t n = 1;
    for (std::size_t s : shape) n *= s;
    reco::test::TestTensor t{name, shape, std::vector<float>(n)};
    for (float& x : t.values) x = g(rng);
    return t;
  };
  return reco::test::safetensors_bytes(
      schema, {tensor("bias", {1}), tensor("linear.gender", {3}), tensor("embed.gender", {3, dim}),
               tensor("linear.item_id", {items + 1}), tensor("embed.item_id", {items + 1, dim}),
               tensor("linear.hour", {3})});
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t items = 100000, dim = 40, puts = 5, rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--items") items = parse_size(a, argv[i + 1]);
    else if (a == "--dim") dim = parse_size(a, argv[i + 1]);
    else if (a == "--puts") puts = parse_size(a, argv[i + 1]);
    else if (a == "--rounds") rounds = parse_size(a, argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: model_put_bench [--items N] [--dim D] [--puts P] [--rounds R]\n");
      return 2;
    }
  }
  reco::test::RedisServer server;
  server.start(RECO_MODULE_PATH);
  Conn c(server.port());
  auto fill = [&](const std::string& catalog) {
    c.cmd({"RECO.CATALOG.CREATE", catalog, "DIM", "8", "METRIC", "IP", "INDEX", "FLAT"});
    Loader load(c, fail);
    std::mt19937_64 rng(3);
    std::normal_distribution<float> g;
    std::vector<float> v(8);
    for (std::size_t i = 0; i < items; ++i) {
      for (float& x : v) x = g(rng);
      load.send({"RECO.ITEM.SET", catalog, item_id(std::uint32_t(i)), "FP32", blob(v.data(), 8),
                 "TERMS", "1", "g" + std::to_string(i % 20), "FEATURES", "1", "year", std::to_string(1950 + i % 70)});
    }
    load.drain();
  };
  fill("cat");
  const std::string model = big_model(items, dim, 5);
  std::printf("model_put_bench: catalog of %zu items; model file %.1f MB (item_id %zu x %zu); %zu PUT + DEL per "
              "phase, %zu rounds; PING every 1 ms from another connection; %u CPUs\n",
              items, model.size() / 1e6, items, dim, puts, rounds, std::thread::hardware_concurrency());
  std::printf("%-8s %5s %12s %12s %12s %12s %13s %10s %10s %10s\n", "threads", "round", "PUT p50 ms", "PUT max ms",
              "main us/PUT", "main us/DEL", "main us/DROP", "PING p50", "PING p99", "PING max");
  int version = 0;
  for (std::size_t r = 0; r < rounds; ++r) {
    for (const char* threads : {"0", "2"}) {
      c.cmd({"CONFIG", "SET", "reco.threads", threads});
      fill("drop_me");  // a second catalog of the same size, dropped at the end of the phase
      c.cmd({"CONFIG", "RESETSTAT"});
      std::atomic<bool> on{true};
      std::vector<double> ping_us, put_ms;
      std::thread prober([&] {
        Conn p(server.port());
        while (on.load()) {
          const auto t0 = Clock::now();
          ReplyPtr pr = p.cmd({"PING"});
          ping_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      });
      for (std::size_t k = 0; k < puts; ++k) {
        const std::string name = "v" + std::to_string(version++);
        const auto t0 = Clock::now();
        ReplyPtr pr = c.cmd({"RECO.MODEL.PUT", "cat", name, model});
        put_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (pr->type == REDIS_REPLY_ERROR) fail("PUT: " + describe(pr.get()));
        ReplyPtr dr = c.cmd({"RECO.MODEL.DEL", "cat", name});
        if (dr->type == REDIS_REPLY_ERROR) fail("DEL: " + describe(dr.get()));
      }
      ReplyPtr dr = c.cmd({"RECO.CATALOG.DROP", "drop_me"});
      if (dr->type == REDIS_REPLY_ERROR) fail("DROP: " + describe(dr.get()));
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // PINGs while it is freed
      on = false;
      prober.join();
      std::printf("%-8s %5zu %12.1f %12.1f %12.0f %12.0f %13.0f %10.0f %10.0f %10.0f\n", threads, r, percentile(put_ms, 0.5),
                  percentile(put_ms, 1.0), usec_per_call(c, "reco.model.put"), usec_per_call(c, "reco.model.del"),
                  usec_per_call(c, "reco.catalog.drop"), percentile(ping_us, 0.5), percentile(ping_us, 0.99), percentile(ping_us, 1.0));
      std::fflush(stdout);
    }
  }
  if (g_failures) std::printf("FAILED: %zu error replies\n", g_failures);
  return g_failures ? 1 : 0;
}
