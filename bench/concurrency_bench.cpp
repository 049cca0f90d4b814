// Many clients at once: what reco.threads does for throughput, for RECOMMEND latency and for
// every other client of the same Redis.
//
// One redis-server with reco.so; a catalog (default 20,000 x 32 and 100,000 x 64, MovieLens-
// like genres and popularity, default index settings) and users with vectors, genres and
// ~150 seen items. 50 connections, each a closed loop (send, wait, repeat): 90%
// RECO.RECOMMEND <cat> <user> 50, 10% writes (half RECO.USER.SEEN.ADD, half RECO.ITEM.SET
// POPULARITY of a live item). Meanwhile a separate connection sends a plain GET every 2 ms
// and records its round trip: what a session or cache client of the same Redis sees.
// The 50 connections are driven by one client thread (a poll loop), so the load generator
// takes about one core's share at most and the server keeps the rest of the machine.
// reco.threads values are measured in interleaved rounds on the same server and data
// (CONFIG SET between phases, a warm-up second first), so machine noise spreads over all.
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_client.hpp"
#include "bench_common.hpp"
#include "clustered_data.hpp"
#include "redis_server.hpp"

using namespace reco_bench;
using Clock = std::chrono::steady_clock;

namespace {

const char* const kGenres[] = {"Action",  "Adventure", "Animation", "Children's", "Comedy",   "Crime",
                               "Documentary", "Drama", "Fantasy",   "Film-Noir",  "Horror",   "Musical",
                               "Mystery", "Romance",   "Sci-Fi",    "Thriller",   "War",      "Western"};

struct Options {
  std::vector<std::size_t> items{20000, 100000};
  std::vector<std::size_t> dims{32, 64};
  std::size_t users = 10000, clients = 50, seconds = 10, rounds = 2, seen = 150;
  std::vector<std::size_t> threads{0, 1, 2};
  std::string module = RECO_MODULE_PATH;
};

std::vector<std::size_t> parse_list(const std::string& flag, const std::string& v) {
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t end = v.find(',', start);
    if (end == std::string::npos) end = v.size();
    out.push_back(parse_size(flag, v.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  const char* usage =
      "usage: concurrency_bench [--items N,N] [--dims D,D] [--users N] [--clients N] [--seconds S]\n"
      "         [--rounds R] [--threads T,T,...] [--seen N] [--module PATH]\n";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help") {
      std::printf("%s", usage);
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value\n" + usage);
    std::string v = argv[++i];
    if (flag == "--items") o.items = parse_list(flag, v);
    else if (flag == "--dims") o.dims = parse_list(flag, v);
    else if (flag == "--users") o.users = parse_size(flag, v);
    else if (flag == "--clients") o.clients = parse_size(flag, v);
    else if (flag == "--seconds") o.seconds = parse_size(flag, v);
    else if (flag == "--rounds") o.rounds = parse_size(flag, v);
    else if (flag == "--threads") o.threads = parse_list(flag, v);
    else if (flag == "--seen") o.seen = parse_size(flag, v);
    else if (flag == "--module") o.module = v;
    else throw std::runtime_error("unknown flag " + flag + "\n" + usage);
  }
  if (o.items.size() != o.dims.size()) throw std::runtime_error("--items and --dims need as many values");
  return o;
}

std::string user_key(std::size_t u) { return "user:" + std::to_string(u); }

void load(int port, std::size_t n, std::size_t dim, const Options& o) {
  Conn c(port);
  Loader l(c, fail);
  auto d = reco::bench::make_clustered(n + o.users, dim, 0, 64, 42 + dim);
  c.cmd({"RECO.CATALOG.CREATE", "cat", "DIM", std::to_string(dim), "METRIC", "IP"});
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t g = d.cluster[i] % 18;
    std::vector<std::string> a{"RECO.ITEM.SET", "cat", item_id(std::uint32_t(i)), "FP32",
                               blob(&d.base[i * dim], dim), "POPULARITY",
                               std::to_string(std::floor(1000.0 / std::sqrt(1.0 + double(rng() % n)))),
                               "TIME", std::to_string(rng() % 1000000), "TERMS", "2", kGenres[g],
                               kGenres[(g + 1 + rng() % 17) % 18]};
    l.send(a);
  }
  l.drain();
  // Users: a vector from the same mixture, two genres, ~seen items (from their cluster).
  for (std::size_t u = 0; u < o.users; ++u) {
    const float* v = &d.base[(n + u) * dim];
    const std::size_t g = d.cluster[n + u] % 18;
    std::vector<std::string> a{"RECO.USER.SET", user_key(u), "FP32", blob(v, dim), "TERMS", "2",
                               kGenres[g], "3", kGenres[(g + 5) % 18], "1", "SEEN", std::to_string(o.seen)};
    for (std::size_t s = 0; s < o.seen; ++s) a.push_back(item_id(std::uint32_t(rng() % n)));
    l.send(a);
  }
  l.drain();
  c.cmd({"SET", "probe", "x"});
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

struct Phase {
  std::size_t threads = 0;
  double seconds = 0;
  std::vector<double> all, recommend, writes, get;  // microseconds
  std::size_t ops = 0;
  std::vector<std::pair<std::string, double>> main_us;  // commandstats usec_per_call
};

// One connection of the load: a hiredis context driven by the poll loop below.
struct Slot {
  redisContext* ctx = nullptr;
  std::vector<std::string> args;
  bool recommend = false;
  Clock::time_point sent;
};

Phase run_phase(int port, std::size_t n, const Options& o, std::size_t threads, double seconds, std::uint64_t seed) {
  {
    Conn admin(port);
    ReplyPtr r = admin.cmd({"CONFIG", "SET", "reco.threads", std::to_string(threads)});
    if (r->type == REDIS_REPLY_ERROR) fail("CONFIG SET reco.threads: " + describe(r.get()));
    admin.cmd({"CONFIG", "RESETSTAT"});
  }
  Phase ph;
  ph.threads = threads;
  std::atomic<bool> stop{false};
  // The GET probe: its own connection and thread, one request every 2 ms.
  std::thread probe([&] {
    Conn conn(port);
    while (!stop.load(std::memory_order_relaxed)) {
      const auto t0 = Clock::now();
      ReplyPtr r = conn.cmd({"GET", "probe"});
      ph.get.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      if (r->type != REDIS_REPLY_STRING) fail("GET probe: " + describe(r.get()));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  // The load: every connection in one thread and one poll loop, so that the load generator
  // costs one thread's worth of CPU, not 50 threads competing with the server for 2 cores.
  std::mt19937_64 rng(seed);
  std::vector<Slot> slots(o.clients);
  std::vector<pollfd> fds(o.clients);
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  auto send_next = [&](Slot& s) {
    const std::size_t u = rng() % o.users;
    const unsigned kind = unsigned(rng() % 20);
    s.recommend = kind >= 2;
    if (s.recommend) {
      s.args = {"RECO.RECOMMEND", "cat", user_key(u), "50"};
    } else if (kind == 0) {
      s.args = {"RECO.USER.SEEN.ADD", user_key(u), item_id(std::uint32_t(rng() % n))};
    } else {
      s.args = {"RECO.ITEM.SET", "cat", item_id(std::uint32_t(rng() % n)), "POPULARITY",
                std::to_string(rng() % 1000)};
    }
    argv.clear();
    lens.clear();
    for (const auto& a : s.args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(s.ctx, int(argv.size()), argv.data(), lens.data());
    s.sent = Clock::now();
    int done = 0;
    while (!done)
      if (redisBufferWrite(s.ctx, &done) != REDIS_OK) throw std::runtime_error("write failed");
  };
  for (std::size_t i = 0; i < o.clients; ++i) {
    slots[i].ctx = redisConnect("127.0.0.1", port);
    if (!slots[i].ctx || slots[i].ctx->err) throw std::runtime_error("cannot connect");
    fds[i] = {slots[i].ctx->fd, POLLIN, 0};
  }
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (Slot& s : slots) send_next(s);
  while (Clock::now() < end) {
    if (poll(fds.data(), fds.size(), 10) < 0) throw std::runtime_error("poll failed");
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      Slot& s = slots[i];
      if (redisBufferRead(s.ctx) != REDIS_OK) throw std::runtime_error("read failed");
      void* raw = nullptr;
      if (redisGetReplyFromReader(s.ctx, &raw) != REDIS_OK) throw std::runtime_error("protocol error");
      if (!raw) continue;  // not complete yet
      ReplyPtr r(static_cast<redisReply*>(raw));
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - s.sent).count();
      if (r->type == REDIS_REPLY_ERROR) fail(s.args[0] + ": " + describe(r.get()));
      if (s.recommend && (r->type != REDIS_REPLY_ARRAY || r->elements != 50))
        fail("RECOMMEND returned " + describe(r.get()));
      ph.all.push_back(us);
      (s.recommend ? ph.recommend : ph.writes).push_back(us);
      ++ph.ops;
      send_next(s);
    }
  }
  ph.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  probe.join();
  {
    // Main-thread time per command (commandstats): with workers, RECOMMEND's is only its
    // parse, copy and hand-off.
    Conn admin(port);
    ReplyPtr r = admin.cmd({"INFO", "commandstats"});
    std::string text(r->str, r->len);
    for (const char* cmd : {"reco.recommend", "reco.item.set", "reco.user.seen.add", "get"}) {
      const std::string key = std::string("cmdstat_") + cmd + ":";
      const auto at = text.find(key);
      if (at == std::string::npos) continue;
      const auto u = text.find("usec_per_call=", at);
      ph.main_us.push_back({cmd, std::atof(text.c_str() + u + 14)});
    }
  }
  // Outstanding replies are dropped with their connections.
  for (Slot& s : slots) redisFree(s.ctx);
  return ph;
}

}  // namespace

int main(int argc, char** argv) try {
  Options o = parse(argc, argv);
  std::printf("concurrency_bench: %zu clients (90%% RECOMMEND K=50, 10%% writes), GET probe every 2 ms, "
              "%zu s per phase, %zu interleaved rounds, %u CPUs\n",
              o.clients, o.seconds, o.rounds, std::thread::hardware_concurrency());
  for (std::size_t s = 0; s < o.items.size(); ++s) {
    const std::size_t n = o.items[s], dim = o.dims[s];
    reco::test::RedisServer server;
    server.start(o.module);
    const auto t0 = Clock::now();
    load(server.port(), n, dim, o);
    std::printf("\ncatalog %zu x %zu, %zu users: loaded in %.1f s\n", n, dim, o.users,
                std::chrono::duration<double>(Clock::now() - t0).count());
    std::vector<std::vector<Phase>> by_threads(o.threads.size());
    for (std::size_t r = 0; r < o.rounds; ++r)
      for (std::size_t t = 0; t < o.threads.size(); ++t) {
        run_phase(server.port(), n, o, o.threads[t], 1.0, 99 + r);  // warm-up
        by_threads[t].push_back(run_phase(server.port(), n, o, o.threads[t], double(o.seconds), r * 31 + t));
        std::printf("  round %zu threads %zu: main-thread us/call", r, o.threads[t]);
        for (const auto& [cmd, us] : by_threads[t].back().main_us) std::printf(" %s %.1f", cmd.c_str(), us);
        std::printf("\n");
      }
    std::printf("%8s %10s %9s %9s %11s %11s %10s %9s %9s %9s\n", "threads", "ops/s", "p50 us", "p99 us",
                "rec p50 us", "rec p99 us", "write p99", "GET p50", "GET p99", "GET max");
    double base_ops = 0;
    for (std::size_t t = 0; t < o.threads.size(); ++t) {
      Phase m;
      double secs = 0;
      for (Phase& p : by_threads[t]) {
        m.ops += p.ops;
        secs += p.seconds;
        m.all.insert(m.all.end(), p.all.begin(), p.all.end());
        m.recommend.insert(m.recommend.end(), p.recommend.begin(), p.recommend.end());
        m.writes.insert(m.writes.end(), p.writes.begin(), p.writes.end());
        m.get.insert(m.get.end(), p.get.begin(), p.get.end());
      }
      const double ops = double(m.ops) / secs;
      if (t == 0) base_ops = ops;
      const double get_max = m.get.empty() ? 0 : *std::max_element(m.get.begin(), m.get.end());
      std::printf("%8zu %10.0f %9.0f %9.0f %11.0f %11.0f %10.0f %9.0f %9.0f %9.0f   (%.2fx ops of threads=%zu)\n",
                  o.threads[t], ops, pct(m.all, 0.5), pct(m.all, 0.99), pct(m.recommend, 0.5),
                  pct(m.recommend, 0.99), pct(m.writes, 0.99), pct(m.get, 0.5), pct(m.get, 0.99), get_max,
                  ops / base_ops, o.threads[0]);
    }
    auto info = server.info("reco");
    std::printf("INFO reco: queries_threaded %s, queries_inline %s, queries_requeued %s\n",
                info["reco_queries_threaded"].c_str(), info["reco_queries_inline"].c_str(),
                info["reco_queries_requeued"].c_str());
  }
  if (g_failures) {
    std::fprintf(stderr, "%zu checks failed\n", g_failures);
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "concurrency_bench: %s\n", e.what());
  return 1;
}
