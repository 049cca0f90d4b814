// End-to-end latency of RECO.RECOMMEND against catalog size, over a real redis-server.
//
// Per catalog (10,000 and 100,000 items, 64 dims, COSINE, exact search) it loads items and
// users with pipelined hiredis, then times single requests on one connection:
//   (a) PING                  the loopback round-trip floor
//   (b) RECO.KNN K=50         the user's vector, no filter
//   (c) RECO.RECOMMEND K=50   defaults (vector + term + popular sources, seen-set filtered)
//   (d) RECO.RECOMMEND K=50 WITHSCORES SESSION 3
//   (e) the classic split pipeline: GET the user's vector blob and SMEMBERS the seen-set in
//       one pipelined round trip, exact kNN in this process with hnswlib's BruteforceSearch
//       for k = 50 + |seen|, then drop the seen items. No second network hop to a vector
//       service is paid, which favours this baseline.
//   (f) RECO.RECOMMEND K=50 with only the vector source (BUDGET VECTOR 50, TERM 0, POPULAR 0):
//       the very question (e) answers, asked of the module.
//   (g) RECO.RECOMMEND K=50 over 500 vector candidates ranked by an FM model (MovieLens-shaped
//       fields, embedding size 16), (h) the same with an MLP [64,32] on top, (i) the same 500
//       candidates ordered by the blend (MODEL NONE): what ranking adds to a request.
// (c), (d), (e), (f) run for users with 100 seen items and again for users with 5,000.
// `--index` chooses the catalog's index (FLAT by default, the exact scan the split pipeline
// also does; AUTO or HNSW to measure the graph).
//
// Why it is shaped so:
// - Ops run in interleaved rounds (round r: a, b, c, ... each for N requests) so that drift
//   of a shared machine spreads over all of them instead of favouring one.
// - CPU placement is fixed by the bench itself: it pins its own thread to core 0 before it
//   starts redis-server, which inherits the mask (the same as `taskset -c 0` for both).
//   A second pass moves every server thread to core 1 (client stays on core 0) to show what
//   crossing cores costs. Loading runs with the client on core 1 so the load rate is the
//   server's, not a core shared with the loader.
// - Replies are kept during a batch and checked after it: latency covers the round trip and
//   hiredis's parsing, never the bench's own checks. Any error reply, a seen or session item
//   in a recommendation, a short reply, or a kNN answer that differs from hnswlib's (beyond
//   float ties) makes the exit status non-zero, so the numbers are of correct answers.
// - Users' vectors are the sum of ten of their seen items plus noise, so seen items really
//   sit among their nearest neighbours and filtering has work to do.
#include <hiredis/hiredis.h>
#include <hnswlib/hnswlib.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
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
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_client.hpp"
#include "bench_common.hpp"
#include "model_fixture.hpp"
#include "redis_server.hpp"

namespace {

using namespace reco_bench;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kDim = 64;
constexpr std::size_t kK = 50;
constexpr std::size_t kGenres = 18;
constexpr std::size_t kSession = 3;
constexpr std::size_t kChecked = 10;  // users whose kNN answers are compared with hnswlib's

struct Options {
  std::vector<std::size_t> sizes{10000, 100000};
  std::size_t rounds = 5;
  std::size_t requests = 200;  // per op per round
  std::size_t users = 1000;
  std::size_t seen = 100;
  std::size_t heavy_users = 200;
  std::size_t heavy_seen = 5000;
  bool cross = true;
  bool models = true;
  std::string index = "FLAT";
  std::string module = RECO_MODULE_PATH;
};

// ---- data -----------------------------------------------------------------------------------

struct User {
  std::string key;       // reco user key
  std::string vec_key;   // baseline: the vector as a string
  std::string seen_key;  // baseline: the seen-set as a Redis SET
  std::vector<float> vec;
  std::vector<std::pair<std::uint32_t, std::string>> terms;  // genre, weight text
  std::vector<std::uint32_t> seen;                           // sorted labels
  std::vector<std::uint32_t> session;                        // kSession unseen labels

  bool has_seen(std::uint32_t l) const { return std::binary_search(seen.begin(), seen.end(), l); }
  bool in_session(std::uint32_t l) const {
    return std::find(session.begin(), session.end(), l) != session.end();
  }
};

struct World {
  std::size_t n = 0;
  std::vector<float> unit;  // n x kDim, normalised: what a COSINE search compares
  std::vector<float> raw;   // n x kDim, as sent
  std::vector<std::vector<std::uint32_t>> genres;
  std::vector<long long> popularity;
  std::vector<User> users;        // `seen` seen items each
  std::vector<User> heavy_users;  // `heavy_seen` seen items each
};

void normalise(float* v, std::size_t dim) {
  double s = 0;
  for (std::size_t i = 0; i < dim; ++i) s += double(v[i]) * v[i];
  float inv = s > 0 ? float(1.0 / std::sqrt(s)) : 0.0f;
  for (std::size_t i = 0; i < dim; ++i) v[i] *= inv;
}

World make_world(std::size_t n, const Options& o, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss;
  World w;
  w.n = n;
  w.raw.resize(n * kDim);
  for (float& x : w.raw) x = gauss(rng);
  w.unit = w.raw;
  for (std::size_t i = 0; i < n; ++i) normalise(&w.unit[i * kDim], kDim);

  // Genres are skewed (some are common, some niche); 1-3 distinct per item.
  std::vector<double> gw(kGenres);
  for (std::size_t g = 0; g < kGenres; ++g) gw[g] = 1.0 / std::pow(double(g + 1), 0.7);
  std::discrete_distribution<std::uint32_t> genre(gw.begin(), gw.end());
  std::uniform_int_distribution<int> ngenres(1, 3);
  w.genres.resize(n);
  for (auto& gs : w.genres) {
    int want = ngenres(rng);
    while (gs.size() < std::size_t(want)) {
      std::uint32_t g = genre(rng);
      if (std::find(gs.begin(), gs.end(), g) == gs.end()) gs.push_back(g);
    }
  }

  // Zipf-like popularity over a random ranking: popularity(rank r) ~ 1e6 / (r + 1).
  std::vector<std::uint32_t> by_rank(n);
  std::iota(by_rank.begin(), by_rank.end(), 0u);
  std::shuffle(by_rank.begin(), by_rank.end(), rng);
  w.popularity.resize(n);
  std::vector<double> zipf_w(n);
  for (std::size_t r = 0; r < n; ++r) {
    w.popularity[by_rank[r]] = std::llround(1e6 / double(r + 1));
    zipf_w[by_rank[r]] = 1.0 / double(r + 1);
  }
  std::discrete_distribution<std::uint32_t> zipf(zipf_w.begin(), zipf_w.end());
  std::uniform_int_distribution<std::uint32_t> any(0, static_cast<std::uint32_t>(n - 1));
  std::uniform_real_distribution<double> weight(0.1, 1.0);
  std::bernoulli_distribution coin(0.5);

  std::vector<char> mark(n, 0);
  auto make_user = [&](const std::string& name, std::size_t seen) {
    User u;
    u.key = "u:" + name;
    u.vec_key = "b:" + name + ":vec";
    u.seen_key = "b:" + name + ":seen";
    // Seen items: half drawn by popularity, half uniformly (what people watch is skewed,
    // but not only toward the head).
    std::vector<std::uint32_t> order;
    while (order.size() < seen) {
      std::uint32_t l = coin(rng) ? zipf(rng) : any(rng);
      if (!mark[l]) {
        mark[l] = 1;
        order.push_back(l);
      }
    }
    u.vec.assign(kDim, 0.0f);
    for (std::size_t j = 0; j < std::min<std::size_t>(10, order.size()); ++j)
      for (std::size_t d = 0; d < kDim; ++d) u.vec[d] += w.unit[order[j] * kDim + d];
    for (float& x : u.vec) x += 0.25f * gauss(rng);
    while (u.session.size() < kSession) {
      std::uint32_t l = any(rng);
      if (!mark[l] && std::find(u.session.begin(), u.session.end(), l) == u.session.end())
        u.session.push_back(l);
    }
    for (std::uint32_t l : order) mark[l] = 0;
    u.seen = std::move(order);
    std::sort(u.seen.begin(), u.seen.end());
    while (u.terms.size() < 3) {
      std::uint32_t g = genre(rng);
      bool dup = false;
      for (auto& t : u.terms) dup |= t.first == g;
      if (!dup) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.2f", weight(rng));
        u.terms.emplace_back(g, buf);
      }
    }
    return u;
  };
  for (std::size_t j = 0; j < o.users; ++j) w.users.push_back(make_user(std::to_string(j), o.seen));
  for (std::size_t j = 0; j < o.heavy_users; ++j)
    w.heavy_users.push_back(make_user("h" + std::to_string(j), std::min(o.heavy_seen, n - kSession - 1)));
  return w;
}

// ---- CPU placement --------------------------------------------------------------------------

// Moves every thread of `pid` (main thread and Redis's background threads) to `cpu`.
std::size_t pin_process(long pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    pid_t tid = static_cast<pid_t>(std::stol(e.path().filename().string()));
    if (sched_setaffinity(tid, sizeof set, &set) != 0) throw std::runtime_error("cannot pin server thread");
    ++n;
  }
  return n;
}

// ---- the baseline's vector service, in process ----------------------------------------------

struct Baseline {
  hnswlib::InnerProductSpace space{kDim};
  hnswlib::BruteforceSearch<float> index;
  explicit Baseline(const World& w) : index(&space, w.n) {
    for (std::size_t i = 0; i < w.n; ++i) index.addPoint(&w.unit[i * kDim], i);
  }
  // Nearest first, `k` of them, ignoring nothing.
  std::vector<std::uint32_t> knn(const float* unit_query, std::size_t k) const {
    auto pq = index.searchKnn(unit_query, k);
    std::vector<std::uint32_t> out(pq.size());
    for (std::size_t i = pq.size(); i-- > 0; pq.pop()) out[i] = static_cast<std::uint32_t>(pq.top().second);
    return out;
  }
};

// One request of the classic split pipeline; returns the ids it would hand to the caller.
std::vector<std::string> split_pipeline(Conn& c, const Baseline& b, const User& u, std::vector<std::uint32_t>& labels) {
  c.append({"GET", u.vec_key});
  c.append({"SMEMBERS", u.seen_key});
  ReplyPtr vr = c.get();
  ReplyPtr sr = c.get();
  if (vr->type != REDIS_REPLY_STRING || vr->len != kDim * sizeof(float)) {
    fail("baseline GET " + u.vec_key + ": " + describe(vr.get()));
    return {};
  }
  if (sr->type != REDIS_REPLY_ARRAY) {
    fail("baseline SMEMBERS " + u.seen_key + ": " + describe(sr.get()));
    return {};
  }
  float q[kDim];
  std::memcpy(q, vr->str, sizeof q);
  normalise(q, kDim);
  std::vector<std::uint32_t> seen;
  seen.reserve(sr->elements);
  for (std::size_t i = 0; i < sr->elements; ++i) seen.push_back(label_of(sr->element[i]->str, sr->element[i]->len));
  std::sort(seen.begin(), seen.end());
  labels.clear();
  for (std::uint32_t l : b.knn(q, std::min(kK + seen.size(), b.index.cur_element_count))) {
    if (!std::binary_search(seen.begin(), seen.end(), l)) labels.push_back(l);
    if (labels.size() == kK) break;
  }
  std::vector<std::string> out;
  out.reserve(labels.size());
  for (std::uint32_t l : labels) out.push_back(item_id(l));
  return out;
}

// ---- checks ---------------------------------------------------------------------------------

double cosine_to(const World& w, const std::vector<float>& q, std::uint32_t l) {
  double dot = 0, qq = 0;
  for (std::size_t d = 0; d < kDim; ++d) {
    dot += double(q[d]) * w.unit[l * kDim + d];
    qq += double(q[d]) * q[d];
  }
  return dot / std::sqrt(qq);
}

// The same top-k as sets, except where items tie with the k-th score within float error.
bool same_top_k(const World& w, const std::vector<float>& q, const std::vector<std::uint32_t>& got,
                const std::vector<std::uint32_t>& want) {
  if (got.size() != want.size()) return false;
  std::set<std::uint32_t> a(got.begin(), got.end()), b(want.begin(), want.end());
  if (a == b) return true;
  double edge = 1e9;
  for (std::uint32_t l : want) edge = std::min(edge, cosine_to(w, q, l));
  for (std::uint32_t l : got)
    if (!b.count(l) && std::fabs(cosine_to(w, q, l) - edge) > 1e-5) return false;
  for (std::uint32_t l : want)
    if (!a.count(l) && std::fabs(cosine_to(w, q, l) - edge) > 1e-5) return false;
  return true;
}

// Labels of an array reply; with `scored`, every other element (id, score, id, score ...).
std::vector<std::uint32_t> labels_of(const redisReply* r, bool scored) {
  std::vector<std::uint32_t> out;
  if (r->type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 0; i < r->elements; i += scored ? 2 : 1) out.push_back(label_of(r->element[i]->str, r->element[i]->len));
  return out;
}

void check_recommendation(const redisReply* r, const User& u, bool scored, bool session, const std::string& what) {
  if (r->type != REDIS_REPLY_ARRAY) return fail(what + " for " + u.key + ": " + describe(r));
  if (r->elements != kK * (scored ? 2 : 1))
    return fail(what + " for " + u.key + ": " + std::to_string(r->elements) + " elements");
  auto ls = labels_of(r, scored);
  std::set<std::uint32_t> distinct(ls.begin(), ls.end());
  if (distinct.size() != ls.size()) fail(what + " for " + u.key + ": duplicate ids");
  for (std::uint32_t l : ls) {
    if (l == UINT32_MAX) return fail(what + " for " + u.key + ": unknown id");
    if (u.has_seen(l)) return fail(what + " for " + u.key + ": returned seen item " + item_id(l));
    if (session && u.in_session(l)) return fail(what + " for " + u.key + ": returned session item " + item_id(l));
  }
  if (scored) {
    double prev = INFINITY;
    for (std::size_t i = 1; i < r->elements; i += 2) {
      char* end = nullptr;
      double s = std::strtod(r->element[i]->str, &end);
      if (end == r->element[i]->str || s > prev + 1e-12) return fail(what + " for " + u.key + ": bad score order");
      prev = s;
    }
  }
}

std::vector<std::string> recommend_args(const User& u, bool scored_session) {
  std::vector<std::string> a{"RECO.RECOMMEND", "cat", u.key, std::to_string(kK)};
  if (scored_session) {
    a.insert(a.end(), {"WITHSCORES", "SESSION", std::to_string(kSession)});
    for (std::uint32_t l : u.session) a.push_back(item_id(l));
  }
  return a;
}

std::vector<std::string> vector_only_args(const User& u) {
  return {"RECO.RECOMMEND", "cat", u.key, std::to_string(kK), "BUDGET", "VECTOR", std::to_string(kK),
          "BUDGET", "TERM", "0", "BUDGET", "POPULAR", "0"};
}

// 500 vector candidates, ranked by `model` (or the blend with "NONE").
std::vector<std::string> ranked_args(const User& u, const std::string& model) {
  return {"RECO.RECOMMEND", "cat", u.key, std::to_string(kK), "BUDGET", "VECTOR", "500",
          "BUDGET", "TERM", "0", "BUDGET", "POPULAR", "0", "MODEL", model};
}

std::vector<std::string> knn_args(const User& u) {
  return {"RECO.KNN", "cat", std::to_string(kK), "FP32", blob(u.vec.data(), kDim)};
}

// Before timing: the module and the baseline answer the same questions.
void check_answers(Conn& c, const World& w, const Baseline& b, const std::vector<User>& users, const char* group) {
  double seen_in_top = 0;
  std::size_t n = std::min(kChecked, users.size());
  for (std::size_t j = 0; j < n; ++j) {
    const User& u = users[j];
    std::vector<float> q = u.vec;
    normalise(q.data(), kDim);
    auto plain = b.knn(q.data(), kK);
    for (std::uint32_t l : plain) seen_in_top += u.has_seen(l);
    ReplyPtr r = c.cmd(knn_args(u));
    if (!same_top_k(w, u.vec, labels_of(r.get(), false), plain))
      fail(std::string("RECO.KNN differs from hnswlib's top-50 for ") + u.key);

    std::vector<std::uint32_t> base;
    split_pipeline(c, b, u, base);
    ReplyPtr vo = c.cmd(vector_only_args(u));
    if (!same_top_k(w, u.vec, labels_of(vo.get(), false), base))
      fail(std::string("vector-only RECO.RECOMMEND differs from the split pipeline for ") + u.key);
    std::vector<std::string> ex = knn_args(u);
    ex.insert(ex.end(), {"EXCLUDE", std::to_string(u.seen.size())});
    for (std::uint32_t l : u.seen) ex.push_back(item_id(l));
    ReplyPtr rx = c.cmd(ex);
    if (!same_top_k(w, u.vec, labels_of(rx.get(), false), base))
      fail(std::string("RECO.KNN EXCLUDE <seen> differs from the split pipeline for ") + u.key);
  }
  std::printf("  checked %zu %s users: RECO.KNN = hnswlib top-50; vector-only RECOMMEND = KNN EXCLUDE seen = "
              "split pipeline; %.1f of each unfiltered top-50 were seen items\n",
              n, group, seen_in_top / double(n));
}

// Where a RECOMMEND's time goes, by the module's own clock (EXPLAIN): the rest of a
// request's latency is the round trip, argument parsing and the reply.
void print_server_side(Conn& c, const std::vector<User>& users, const char* label,
                       const std::function<std::vector<std::string>(const User&)>& args) {
  double recall = 0, rank = 0, total = 0, cands = 0;
  std::size_t n = std::min<std::size_t>(50, users.size());
  for (std::size_t j = 0; j < n; ++j) {
    auto a = args(users[j]);
    a.push_back("EXPLAIN");
    ReplyPtr r = c.cmd(a);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || r->element[3]->type != REDIS_REPLY_ARRAY)
      return fail(std::string("EXPLAIN ") + label + ": " + describe(r.get()));
    const redisReply* st = r->element[3];
    for (std::size_t i = 0; i + 1 < st->elements; i += 2) {
      std::string name(st->element[i]->str, st->element[i]->len);
      double v = double(st->element[i + 1]->integer);
      if (name == "recall_us") recall += v;
      else if (name == "rank_us") rank += v;
      else if (name == "total_us") total += v;
      else if (name == "candidates") cands += v;
    }
  }
  std::printf("    %-44s total %7.1f us (recall %7.1f, rank %5.1f), %5.0f candidates\n", label, total / n, recall / n,
              rank / n, cands / n);
}

// ---- timing ---------------------------------------------------------------------------------

struct Op {
  Op(std::string n, std::function<void(std::size_t)> r, std::function<void()> s)
      : name(std::move(n)), request(std::move(r)), settle(std::move(s)) {}
  std::string name;
  std::function<void(std::size_t)> request;  // one timed request; may keep its reply
  std::function<void()> settle;              // checks and frees what request kept
  std::vector<double> lat_us;
  double wall_s = 0;
};

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(std::ceil(p * double(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

void run_rounds(std::vector<Op>& ops, std::size_t rounds, std::size_t requests) {
  for (std::size_t r = 0; r < rounds; ++r) {
    for (Op& op : ops) {
      auto w0 = Clock::now();
      for (std::size_t i = 0; i < requests; ++i) {
        auto t0 = Clock::now();
        op.request(r * requests + i);
        op.lat_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      op.wall_s += std::chrono::duration<double>(Clock::now() - w0).count();
      op.settle();
    }
  }
}

void print_table(const std::vector<Op>& ops) {
  std::printf("  %-62s %9s %9s %9s %9s\n", "op", "p50 us", "p99 us", "mean us", "req/s");
  for (const Op& op : ops) {
    double mean = std::accumulate(op.lat_us.begin(), op.lat_us.end(), 0.0) / double(op.lat_us.size());
    std::printf("  %-62s %9.1f %9.1f %9.1f %9.0f\n", op.name.c_str(), pct(op.lat_us, 0.50), pct(op.lat_us, 0.99),
                mean, double(op.lat_us.size()) / op.wall_s);
  }
}

std::vector<Op> make_ops(Conn& c, const World& w, const Baseline& b, bool models) {
  std::vector<Op> ops;
  // One stash serves every op: each op settles its batch before the next op starts.
  auto kept = std::make_shared<std::vector<std::pair<ReplyPtr, const User*>>>();

  ops.emplace_back("(a) PING", [&c, kept](std::size_t) { kept->emplace_back(c.cmd({"PING"}), nullptr); },
                 [kept] {
                   for (auto& [r, u] : *kept)
                     if (r->type != REDIS_REPLY_STATUS || std::string(r->str, r->len) != "PONG") fail("PING: " + describe(r.get()));
                   kept->clear();
                 });
  const std::vector<User>* us = &w.users;
  ops.emplace_back("(b) RECO.KNN K=50 FP32 <user vector>",
                 [&c, us, kept](std::size_t i) {
                   const User& u = (*us)[i % us->size()];
                   kept->emplace_back(c.cmd(knn_args(u)), &u);
                 },
                 [kept] {
                   for (auto& [r, u] : *kept)
                     if (r->type != REDIS_REPLY_ARRAY || r->elements != kK) fail("RECO.KNN: " + describe(r.get()));
                   kept->clear();
                 });
  for (const std::vector<User>* g : {&w.users, &w.heavy_users}) {
    std::string tag = " [seen " + std::to_string(g->front().seen.size()) + "]";
    ops.emplace_back("(c) RECO.RECOMMEND K=50" + tag,
                   [&c, g, kept](std::size_t i) {
                     const User& u = (*g)[i % g->size()];
                     kept->emplace_back(c.cmd(recommend_args(u, false)), &u);
                   },
                   [kept] {
                     for (auto& [r, u] : *kept) check_recommendation(r.get(), *u, false, false, "RECOMMEND");
                     kept->clear();
                   });
    ops.emplace_back("(d) RECO.RECOMMEND K=50 WITHSCORES SESSION 3" + tag,
                   [&c, g, kept](std::size_t i) {
                     const User& u = (*g)[i % g->size()];
                     kept->emplace_back(c.cmd(recommend_args(u, true)), &u);
                   },
                   [kept] {
                     for (auto& [r, u] : *kept) check_recommendation(r.get(), *u, true, true, "RECOMMEND SESSION");
                     kept->clear();
                   });
    auto results = std::make_shared<std::vector<std::pair<std::vector<std::string>, const User*>>>();
    auto scratch = std::make_shared<std::vector<std::uint32_t>>();
    ops.emplace_back("(e) split: GET+SMEMBERS, hnswlib brute k=50+|seen|" + tag,
                   [&c, &b, g, results, scratch](std::size_t i) {
                     const User& u = (*g)[i % g->size()];
                     results->emplace_back(split_pipeline(c, b, u, *scratch), &u);
                   },
                   [results] {
                     for (auto& [ids, u] : *results) {
                       if (ids.size() != kK) fail("split pipeline for " + u->key + ": " + std::to_string(ids.size()) + " ids");
                       for (auto& id : ids)
                         if (u->has_seen(label_of(id.data(), id.size()))) fail("split pipeline returned a seen item");
                     }
                     results->clear();
                   });
    ops.emplace_back("(f) RECO.RECOMMEND K=50 vector source only" + tag,
                   [&c, g, kept](std::size_t i) {
                     const User& u = (*g)[i % g->size()];
                     kept->emplace_back(c.cmd(vector_only_args(u)), &u);
                   },
                   [kept] {
                     for (auto& [r, u] : *kept) check_recommendation(r.get(), *u, false, false, "RECOMMEND vector-only");
                     kept->clear();
                   });
  }
  if (!models) return ops;
  for (const auto& [tag, model] : std::vector<std::pair<std::string, std::string>>{
           {"(g) 500 candidates ranked by FM d=16", "fm"},
           {"(h) 500 candidates ranked by FM d=16 + MLP [64,32]", "mlp"},
           {"(i) 500 candidates ordered by the blend", "NONE"}}) {
    const std::vector<User>* g = &w.users;
    ops.emplace_back(tag + " [seen " + std::to_string(g->front().seen.size()) + "]",
                     [&c, g, kept, model](std::size_t i) {
                       const User& u = (*g)[i % g->size()];
                       kept->emplace_back(c.cmd(ranked_args(u, model)), &u);
                     },
                     [kept, tag] {
                       for (auto& [r, u] : *kept) check_recommendation(r.get(), *u, false, false, tag);
                       kept->clear();
                     });
  }
  return ops;
}

void run_catalog(std::size_t n, const Options& o) {
  auto g0 = Clock::now();
  World w = make_world(n, o, 42 + n);
  Baseline base(w);
  std::printf("\n== catalog: %zu items x %zu dims, COSINE, index %s; %zu users x %zu seen, %zu users x %zu seen "
              "(data + hnswlib index built in %.1f s)\n",
              n, kDim, o.index.c_str(), w.users.size(), w.users.front().seen.size(), w.heavy_users.size(),
              w.heavy_users.front().seen.size(), std::chrono::duration<double>(Clock::now() - g0).count());

  pin_self(0);  // the server inherits core 0
  reco::test::RedisServer server;
  server.start(o.module);
  long server_pid = std::stol(server.info("server")["process_id"]);
  pin_self(1);  // the loader runs beside the server, not on its core
  Conn c(server.port());
  Loader load(c, fail);

  auto t0 = Clock::now();
  load.send({"RECO.CATALOG.CREATE", "cat", "DIM", std::to_string(kDim), "METRIC", "COSINE", "INDEX", o.index});
  std::size_t item_bytes = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::vector<std::string> a{"RECO.ITEM.SET", "cat", item_id(i), "FP32", blob(&w.raw[i * kDim], kDim),
                               "TERMS", std::to_string(w.genres[i].size())};
    for (std::uint32_t g : w.genres[i]) a.push_back("g" + std::to_string(g));
    a.insert(a.end(), {"POPULARITY", std::to_string(w.popularity[i])});
    for (auto& s : a) item_bytes += s.size();
    load.send(a);
  }
  load.drain();
  double item_s = std::chrono::duration<double>(Clock::now() - t0).count();

  std::size_t ids = 0, nusers = 0;
  t0 = Clock::now();
  for (const auto* group : {&w.users, &w.heavy_users})
    for (const User& u : *group) {
      std::vector<std::string> a{"RECO.USER.SET", u.key, "FP32", blob(u.vec.data(), kDim), "TERMS", "3"};
      for (auto& [g, wt] : u.terms) a.insert(a.end(), {"g" + std::to_string(g), wt});
      a.insert(a.end(), {"SEEN", std::to_string(u.seen.size())});
      for (std::uint32_t l : u.seen) a.push_back(item_id(l));
      load.send(a);
      ids += u.seen.size();
      ++nusers;
    }
  load.drain();
  double user_s = std::chrono::duration<double>(Clock::now() - t0).count();

  t0 = Clock::now();
  for (const auto* group : {&w.users, &w.heavy_users})
    for (const User& u : *group) {
      load.send({"SET", u.vec_key, blob(u.vec.data(), kDim)});
      std::vector<std::string> a{"SADD", u.seen_key};
      for (std::uint32_t l : u.seen) a.push_back(item_id(l));
      load.send(a);
    }
  load.drain();
  double base_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("  load (pipelined, client on core 1, server on core 0):\n"
              "    items   RECO.ITEM.SET FP32: %zu in %.2f s = %.0f items/s (%.1f MB/s of arguments)\n"
              "    users   RECO.USER.SET:      %zu in %.2f s = %.0f users/s (%.0f seen ids/s)\n"
              "    baseline SET + SADD:        %zu users in %.2f s = %.0f users/s (%.0f seen ids/s)\n",
              n, item_s, n / item_s, item_bytes / item_s / 1e6, nusers, user_s, nusers / user_s, ids / user_s,
              nusers, base_s, nusers / base_s, ids / base_s);
  auto info = server.cmd({"RECO.CATALOG.INFO", "cat"}).as_map();
  auto mem = server.info("memory");
  long long cat_bytes = info["memory_bytes"].as_integer();
  std::printf("  catalog memory_bytes %lld (%.0f bytes/item); server used_memory %s\n", cat_bytes,
              double(cat_bytes) / double(n), mem["used_memory_human"].c_str());
  if (info["items"].as_integer() != static_cast<long long>(n))
    fail("catalog holds " + info["items"].to_string() + " items");

  if (o.models) {
    using namespace reco_model_test;
    for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
             {"fm", model_file(movielens_spec(16, false), 1)}, {"mlp", model_file(movielens_spec(16, true), 2)}}) {
      reco::test::Reply r = server.cmd({"RECO.MODEL.PUT", "cat", name, bytes});
      if (r.is_error()) fail("RECO.MODEL.PUT " + name + ": " + r.str);
    }
  }

  pin_self(0);
  if (o.index == "FLAT") {
    check_answers(c, w, base, w.users, "100-seen");
    check_answers(c, w, base, w.heavy_users, "heavy");
  }

  std::printf("  server-side time by EXPLAIN (mean of 50 users, same core):\n");
  for (const auto* g : {&w.users, &w.heavy_users}) {
    std::string tag = " [seen " + std::to_string(g->front().seen.size()) + "]";
    print_server_side(c, *g, ("(c) defaults" + tag).c_str(), [](const User& u) { return recommend_args(u, false); });
    print_server_side(c, *g, ("(d) WITHSCORES SESSION 3" + tag).c_str(),
                      [](const User& u) { return recommend_args(u, true); });
    print_server_side(c, *g, ("(f) vector source only" + tag).c_str(), vector_only_args);
  }
  if (o.models) {
    print_server_side(c, w.users, "(g) 500 candidates, FM", [](const User& u) { return ranked_args(u, "fm"); });
    print_server_side(c, w.users, "(h) 500 candidates, FM + MLP", [](const User& u) { return ranked_args(u, "mlp"); });
    print_server_side(c, w.users, "(i) 500 candidates, blend", [](const User& u) { return ranked_args(u, "NONE"); });
  }

  std::vector<Op> ops = make_ops(c, w, base, o.models);
  std::printf("  placement: client core 0, server core 0 (all threads); %zu rounds x %zu requests per op\n", o.rounds,
              o.requests);
  run_rounds(ops, o.rounds, o.requests);
  print_table(ops);

  if (o.cross) {
    std::size_t threads = pin_process(server_pid, 1);
    std::vector<Op> cross = make_ops(c, w, base, o.models);
    std::printf("  placement: client core 0, server core 1 (%zu threads); %zu rounds x %zu requests per op\n", threads,
                o.rounds, o.requests);
    run_rounds(cross, o.rounds, o.requests);
    print_table(cross);
  }
  server.stop();
}

std::vector<std::size_t> parse_sizes(const std::string& s) {
  std::vector<std::size_t> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t comma = s.find(',', pos);
    out.push_back(std::stoul(s.substr(pos, comma - pos)));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

void usage() {
  std::fprintf(stderr,
               "usage: recommend_bench [--rounds R] [--requests N] [--sizes 10000,100000] [--users U]\n"
               "                       [--heavy-users H] [--heavy-seen S] [--no-cross] [--no-models]\n"
               "                       [--index FLAT|AUTO|HNSW] [--module PATH] [--quick]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--rounds") o.rounds = std::stoul(value());
      else if (a == "--requests") o.requests = std::stoul(value());
      else if (a == "--sizes") o.sizes = parse_sizes(value());
      else if (a == "--users") o.users = std::stoul(value());
      else if (a == "--heavy-users") o.heavy_users = std::stoul(value());
      else if (a == "--heavy-seen") o.heavy_seen = std::stoul(value());
      else if (a == "--no-cross") o.cross = false;
      else if (a == "--no-models") o.models = false;
      else if (a == "--index") o.index = value();
      else if (a == "--module") o.module = value();
      else if (a == "--quick") {
        o.sizes = {3000};
        o.rounds = 2;
        o.requests = 20;
        o.users = 50;
        o.heavy_users = 10;
        o.heavy_seen = 1000;
      } else {
        usage();
        return 2;
      }
    }
    if (o.rounds == 0 || o.requests == 0 || o.users == 0 || o.heavy_users == 0 || o.sizes.empty())
      throw std::invalid_argument("rounds, requests, users and sizes must be positive");
    for (std::size_t n : o.sizes)
      if (n < 2 * (o.seen + kK + kSession + 1)) throw std::invalid_argument("catalog too small");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    usage();
    return 2;
  }
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
    std::fprintf(stderr, "needs 2 CPUs (cores 0 and 1)\n");
    return 2;
  }
  std::ifstream la("/proc/loadavg");
  std::string load;
  std::getline(la, load);
  std::printf("recommend_bench: K=%zu, %zu dims, module %s; loadavg at start: %s\n", kK, kDim, o.module.c_str(),
              load.c_str());
  auto t0 = Clock::now();
  try {
    for (std::size_t n : o.sizes) run_catalog(n, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench aborted: %s\n", e.what());
    return 2;
  }
  std::printf("\ntotal %.0f s; %s\n", std::chrono::duration<double>(Clock::now() - t0).count(),
              g_failures ? "CHECKS FAILED" : "all replies checked: no errors, no seen or session items returned");
  return g_failures ? 1 : 0;
}
