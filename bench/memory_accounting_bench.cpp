// What Redis sees of reco's memory: used_memory against the engine's own accounting and
// against the process's resident size, for many small users and a large catalog, for two
// builds of reco.so side by side.
//
// Memory the module allocates outside RedisModule_Alloc is invisible to used_memory and to
// maxmemory: it shows as resident memory that used_memory does not explain. So for each
// build (--module-a, default this build's reco.so; --module-b, e.g. an earlier commit) a
// fresh server loads the same data and the bench reports, per phase:
// - used_memory's growth (INFO memory),
// - the engine's own accounting: the sum of MEMORY USAGE over every user key (key, Redis's
//   per-key overhead and the module's mem_usage of the profile) and RECO.CATALOG.INFO
//   memory_bytes for the catalog,
// - the growth of used_memory_rss (resident memory, jemalloc's retained pages included),
//   and RSS growth minus used_memory growth: what Redis does not see.
// Servers run one at a time on the same CPU (default 0; the client on 1), with jemalloc's
// background purging as Redis configures it; each phase waits 2 s before reading RSS.
// Any error reply makes the exit status non-zero.
#include <hiredis/hiredis.h>

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

struct Reading {
  long long used = 0, rss = 0;
};

Reading read_memory(reco::test::RedisServer& s) {
  auto m = s.info("memory");
  return {std::stoll(m["used_memory"]), std::stoll(m["used_memory_rss"])};
}

long long integer(const ReplyPtr& r, const char* what) {
  if (!r || r->type != REDIS_REPLY_INTEGER) fail(std::string(what) + ": not an integer reply");
  return r ? r->integer : 0;
}

void print_row(const char* module, const char* phase, long long count, const Reading& before,
               const Reading& after, long long accounted) {
  const long long used = after.used - before.used, rss = after.rss - before.rss;
  std::printf("%-3s %-8s %9lld  used_memory +%8.1f MB  accounted %8.1f MB (%.3f of used)  "
              "rss +%8.1f MB  rss-used %+8.1f MB  (%.0f / %.0f B each)\n",
              module, phase, count, used / 1e6, accounted / 1e6, used ? double(accounted) / used : 0.0,
              rss / 1e6, (rss - used) / 1e6, double(used) / count, double(rss - used) / count);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t users = 1000000, items = 1000000, dim = 32;
  std::string module_a = RECO_MODULE_PATH, module_b;
  int server_cpu = 0, client_cpu = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--users") users = parse_size(a, argv[i + 1]);
    else if (a == "--items") items = parse_size(a, argv[i + 1]);
    else if (a == "--dim") dim = parse_size(a, argv[i + 1]);
    else if (a == "--module-a") module_a = argv[i + 1];
    else if (a == "--module-b") module_b = argv[i + 1];
    else if (a == "--server-cpu") server_cpu = int(parse_size(a, argv[i + 1]));
    else if (a == "--client-cpu") client_cpu = int(parse_size(a, argv[i + 1]));
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  std::printf("memory_accounting_bench: %zu users (8-d vector, 2 terms, 3 seen), catalog %zu x %zu FLAT "
              "(2 terms, popularity)\n", users, items, dim);
  std::vector<std::pair<std::string, std::string>> modules{{"A", module_a}};
  if (!module_b.empty()) modules.push_back({"B", module_b});
  for (const auto& [label, path] : modules) {
    pin_self(server_cpu);  // the server inherits the mask
    reco::test::RedisServer srv;
    srv.start(path);
    pin_self(client_cpu);
    Conn c(srv.port());
    Loader load(c, [](const std::string& e) { fail(e); });
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const std::vector<std::string> genres{"Action", "Comedy", "Drama", "Noir", "Sci-Fi", "Horror"};

    Reading r0 = read_memory(srv);
    for (std::size_t i = 0; i < users; ++i) {
      std::vector<float> v(8);
      for (float& x : v) x = u(rng);
      load.send({"RECO.USER.SET", "user:" + std::to_string(i), "FP32", blob(v.data(), v.size()), "TERMS", "2",
                 genres[i % 6], "0.7", genres[(i + 1) % 6], "0.3", "SEEN", "3", item_id(std::uint32_t(i % items)),
                 item_id(std::uint32_t((i * 7) % items)), item_id(std::uint32_t((i * 13) % items))});
    }
    load.drain();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    Reading r1 = read_memory(srv);
    long long usage = 0;
    for (std::size_t i = 0; i < users;) {
      const std::size_t n = std::min<std::size_t>(1000, users - i);
      for (std::size_t j = 0; j < n; ++j) c.append({"MEMORY", "USAGE", "user:" + std::to_string(i + j)});
      for (std::size_t j = 0; j < n; ++j) usage += integer(c.get(), "MEMORY USAGE");
      i += n;
    }
    print_row(label.c_str(), "users", static_cast<long long>(users), r0, r1, usage);

    Reading r2 = read_memory(srv);
    ReplyPtr created = c.cmd({"RECO.CATALOG.CREATE", "c", "DIM", std::to_string(dim), "INDEX", "FLAT"});
    if (!created || created->type == REDIS_REPLY_ERROR) fail("CATALOG.CREATE failed");
    {
      std::vector<float> v(dim);
      for (std::size_t i = 0; i < items; ++i) {
        for (float& x : v) x = u(rng);
        load.send({"RECO.ITEM.SET", "c", item_id(std::uint32_t(i)), "FP32", blob(v.data(), dim), "TERMS", "2",
                   genres[i % 6], genres[(i + 1 + (i / 6) % 5) % 6], "POPULARITY", std::to_string(i % 1000)});
      }
      load.drain();
    }
    // The popular order is maintained by the writes: one query, so every lazily kept
    // structure exists before memory is read.
    c.cmd({"RECO.RECOMMEND", "c", "user:1", "10"});
    std::this_thread::sleep_for(std::chrono::seconds(2));
    Reading r3 = read_memory(srv);
    long long catalog_bytes = 0;
    {
      ReplyPtr info = c.cmd({"RECO.CATALOG.INFO", "c"});
      if (!info || info->type != REDIS_REPLY_ARRAY) fail("CATALOG.INFO failed");
      for (std::size_t k = 0; info && k + 1 < info->elements; k += 2)
        if (std::string(info->element[k]->str) == "memory_bytes") catalog_bytes = info->element[k + 1]->integer;
    }
    print_row(label.c_str(), "catalog", static_cast<long long>(items), r2, r3, catalog_bytes);
    srv.stop();
  }
  return g_failures ? 1 : 0;
}
