// The original MovieLens recommender stack's online path, done client-side, against one
// RECO.RECOMMEND round trip: same server, same data, same client library (hiredis), same
// CPU placement, requests interleaved.
//
// Baseline request, as the original web backend serves it:
//   1. HGET b:<u> term, HGET b:<u> vector, HGET b:<u> filter (three round trips): the user's
//      genres, vector and seen items as comma-separated text, parsed here;
//   2. kNN on an hnswlib graph in this process (M 16, ef_construction 200, like reco's
//      graph; k = 200 + |filter|, ef = max(200, k)), plus every item carrying one of the
//      user's genres (an inverted index here), minus the filter; blend
//      0.9 x cosine + 0.1 x term match; the top 200 are kept;
//   3. HGETALL f:<u>: the ranking features;
//   4. a DeepFM-style ranker over the 200 (linear + FM over the embeddings + an MLP
//      [64, 32] over the concatenated embeddings and the dense features, sigmoid), the full
//      network per candidate, as a framework evaluates a batch;
//   5. the top 50.
// reco: (a) RECO.RECOMMEND cat u:<u> 50 MODEL NONE (the blend), (b) RECO.RECOMMEND cat u:<u>
// 50 ranked by the catalog's active model, which is the very file the client-side ranker
// evaluates.
//
// Why it is shaped so:
// - The client-side path gets every advantage a C++ backend could have: the kNN "service" is
//   in process (no network hop, no serialisation), the ranker is C++ over contiguous
//   weights, this target is compiled with -O3 -march=native (reco.so is baseline x86-64 and
//   picks its distance kernels at run time), and the seen-set test is an O(1) stamp array.
//   What remains is the original's shape: four round trips, text parsing, a kNN inflated by
//   the seen-set, a term union read in full, and a ranker that evaluates the whole network.
// - Term-only candidates get cosine 0 in the blend: the backend holds no item vectors, the
//   kNN service returns similarities for its own results only. `--term-cosine` computes
//   them from this process's copy instead (a dot product per term item).
// - The same weights score on both sides: the model file is written here (seeded random
//   weights), PUT into the catalog, and evaluated here too; RECO.SCORE of the same
//   (user, item) pairs must agree within 1e-4, or the run fails.
// - Ops run in rounds (`--round` requests each, the order of the ops rotating every round)
//   so that drift on a shared machine spreads over all of them; a warm-up round is not
//   timed. Two PING ops run in the same rounds: back to back (the loopback floor) and after
//   1 ms of client work, which shows what this machine charges a round trip that follows
//   client-side computation (the baseline has one per request, before HGETALL). Replies are
//   checked after each round, never inside the timed part; any error, short list,
//   duplicate or seen item makes the exit status non-zero.
// - Server-side EXPLAIN times (median over `--explain` users) are printed for both reco
//   requests and for the vector and term sources alone, so the latency can be split into
//   what the server computes and what the round trip costs; the baseline's own stages are
//   timed in the client.
// - Data: clustered item vectors (clustered_data.hpp); genres follow MovieLens-1M's genre
//   frequencies and lean on the item's cluster; seen-set sizes are log-normal (median 96,
//   sigma 0.97: mean ~150, p99 ~900) clipped to [20, 2000], like MovieLens-1M's ratings per
//   user; seen items come half from two home clusters, half by popularity; a user's vector
//   is near the mean of its home-cluster seen items, so seen items crowd its neighbours and
//   the filter has work to do. The user vector is stored as text with 9 significant digits,
//   which round-trips a float, so both sides search with the same bits.
// - Server and client are pinned (default: server with all its threads on CPU 0, this
//   process on CPU 1; the server inherits the mask set before it starts).
#include <hiredis/hiredis.h>
#include <hnswlib/hnswlib.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bench_client.hpp"
#include "bench_common.hpp"
#include "ml_ranker.hpp"
#include "ml_world.hpp"
#include "redis_server.hpp"

namespace {

using namespace reco_bench;
using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }
double s_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// ---- options --------------------------------------------------------------------------------


struct Options {
  std::vector<std::string> shapes{"ml1m", "100k"};
  std::size_t users = 0, items = 0, requests = 0;  // 0: the shape's own
  std::size_t round = 100, warmup = 100, checked = 100, agree = 5, explain = 200;
  std::string index;  // overrides the shape's
  bool term_cosine = false;
  int server_cpu = 0, client_cpu = 1;
  long reco_threads = -1;  // -1: the module's default (the CPUs in the server's mask)
  std::uint64_t seed = 11;
  std::string csv;
  std::string module = RECO_MODULE_PATH;
};

const char* kUsage =
    "usage: stack_baseline_bench [--shape ml1m|100k|all] [--users N] [--items N] [--requests N]\n"
    "         [--round N] [--warmup N] [--checked N] [--agree N] [--explain N]\n"
    "         [--index AUTO|FLAT|HNSW] [--term-cosine] [--server-cpu C] [--client-cpu C]\n"
    "         [--reco-threads N]\n"
    "         [--seed S] [--csv FILE] [--module PATH]\n";

Shape shape_of(const std::string& name, const Options& o) {
  Shape s;
  s.name = name;
  if (name == "ml1m") {
    s.users = 6040, s.items = 3706, s.dim = 16, s.clusters = 40, s.requests = 6040;
  } else if (name == "100k") {
    s.users = 100000, s.items = 100000, s.dim = 64, s.clusters = 200, s.requests = 2000, s.index = "HNSW";
  } else {
    throw std::runtime_error("unknown shape '" + name + "'");
  }
  std::size_t base_items = s.items;
  if (o.users) s.users = o.users;
  if (o.items) s.items = o.items;
  if (o.requests) s.requests = o.requests;
  if (!o.index.empty()) s.index = o.index;
  s.clusters = std::max<std::size_t>(4, s.clusters * s.items / base_items);
  if (s.items < 4 * kRecallK) throw std::runtime_error("--items must be at least " + std::to_string(4 * kRecallK));
  return s;
}

// ---- the client-side stack ------------------------------------------------------------------

struct StageTimes {
  std::vector<double> hget, knn, blend, hgetall, rank, total;
};

struct Candidate {
  float score;
  std::uint32_t label;
};

class Stack {
 public:
  Stack(const World& w, const RankModel& m, bool term_cosine)
      : w_(w), m_(m), term_cosine_(term_cosine), space_(w.dim), hnsw_(&space_, w.n, 16, 200, 100),
        seen_(w.n, 0), term_(w.n, 0), knn_mark_(w.n, 0), count_(w.n, 0), postings_(kGenres) {
    for (std::uint32_t i = 0; i < w.n; ++i) {
      hnsw_.addPoint(&w.unit[std::size_t(i) * w.dim], i);
      for (std::uint32_t g : w.genres[i]) postings_[g].push_back(i);
    }
    for (std::uint32_t g = 0; g < kGenres; ++g) genre_of_.emplace(kGenreNames[g], g);
  }

  // One request; the top-kTop labels, best first. With `cands`, also the blend's top 200.
  std::vector<std::uint32_t> request(Conn& c, std::size_t j, StageTimes* st,
                                     std::vector<std::uint32_t>* cands = nullptr) {
    const auto t0 = Clock::now();
    const std::string key = base_key(j);
    ReplyPtr tr = c.cmd({"HGET", key, "term"});
    ReplyPtr vr = c.cmd({"HGET", key, "vector"});
    ReplyPtr fr = c.cmd({"HGET", key, "filter"});
    if (tr->type != REDIS_REPLY_STRING || vr->type != REDIS_REPLY_STRING || fr->type != REDIS_REPLY_STRING) {
      fail("baseline HGET " + key + ": " + describe(tr.get()) + " / " + describe(vr.get()) + " / " + describe(fr.get()));
      return {};
    }
    terms_.clear();
    split(tr->str, tr->len, [&](const char* s, std::size_t n) {
      auto it = genre_of_.find(std::string(s, n));
      if (it != genre_of_.end()) terms_.push_back(it->second);
    });
    q_.clear();
    split(vr->str, vr->len, [&](const char* s, std::size_t) { q_.push_back(std::strtof(s, nullptr)); });
    if (q_.size() != w_.dim) {
      fail("baseline vector of " + key + " has " + std::to_string(q_.size()) + " values");
      return {};
    }
    double qn = 0;
    for (float x : q_) qn += double(x) * x;
    const float inv = qn > 0 ? float(1.0 / std::sqrt(qn)) : 0.f;
    for (float& x : q_) x *= inv;
    ++stamp_;
    std::size_t nseen = 0;
    split(fr->str, fr->len, [&](const char* s, std::size_t n) {
      std::uint32_t l = label_of(s, n);
      if (l < w_.n) {
        seen_[l] = stamp_;
        ++nseen;
      }
    });
    const auto t1 = Clock::now();

    // kNN for 200 + |filter|, then the filter.
    knn_unseen(nseen);
    const auto t2 = Clock::now();

    // Term union minus the filter, blend, top 200.
    touched_.clear();
    for (std::uint32_t g : terms_)
      for (std::uint32_t l : postings_[g]) {
        if (seen_[l] == stamp_) continue;
        if (term_[l] != stamp_) {
          term_[l] = stamp_;
          count_[l] = 0;
          touched_.push_back(l);
        }
        ++count_[l];
      }
    const float per_term = terms_.empty() ? 0.f : 1.f / float(terms_.size());
    blend_.clear();
    for (const Candidate& k : knn_) {
      knn_mark_[k.label] = stamp_;
      float match = term_[k.label] == stamp_ ? float(count_[k.label]) * per_term : 0.f;
      blend_.push_back({float(kWVector) * k.score + float(kWTerm) * match, k.label});
    }
    for (std::uint32_t l : touched_) {
      if (knn_mark_[l] == stamp_) continue;
      float cos = 0;
      if (term_cosine_) {
        const float* x = &w_.unit[std::size_t(l) * w_.dim];
        for (std::size_t d = 0; d < w_.dim; ++d) cos += x[d] * q_[d];
      }
      blend_.push_back({float(kWVector) * cos + float(kWTerm) * float(count_[l]) * per_term, l});
    }
    top(blend_, kRecallK);
    labels_.resize(blend_.size());
    for (std::size_t i = 0; i < blend_.size(); ++i) labels_[i] = blend_[i].label;
    const auto t3 = Clock::now();

    ReplyPtr ar = c.cmd({"HGETALL", feat_key(j)});
    if (ar->type != REDIS_REPLY_ARRAY) {
      fail("baseline HGETALL " + feat_key(j) + ": " + describe(ar.get()));
      return {};
    }
    RankModel::UserSide us = m_.user_side(user_key(j), ar.get());
    const auto t4 = Clock::now();

    scores_.resize(labels_.size());
    m_.score(us, w_, labels_.data(), labels_.size(), scores_.data());
    ranked_.resize(labels_.size());
    for (std::size_t i = 0; i < labels_.size(); ++i) ranked_[i] = {scores_[i], labels_[i]};
    top(ranked_, kTop);
    std::vector<std::uint32_t> out(ranked_.size());
    for (std::size_t i = 0; i < ranked_.size(); ++i) out[i] = ranked_[i].label;
    const auto t5 = Clock::now();

    if (st) {
      auto us_of = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double, std::micro>(b - a).count();
      };
      st->hget.push_back(us_of(t0, t1));
      st->knn.push_back(us_of(t1, t2));
      st->blend.push_back(us_of(t2, t3));
      st->hgetall.push_back(us_of(t3, t4));
      st->rank.push_back(us_of(t4, t5));
      st->total.push_back(us_of(t0, t5));
    }
    if (cands) *cands = labels_;
    return out;
  }

  // The vector stage alone for a query already normalised: hnswlib's k = kRecallK + |seen|,
  // the seen items dropped, the first kRecallK kept (what the blend receives from the kNN).
  std::vector<std::uint32_t> vector_stage(const std::vector<float>& unit_q, const User& u) {
    q_ = unit_q;
    ++stamp_;
    for (std::uint32_t l : u.seen) seen_[l] = stamp_;
    knn_unseen(u.seen.size());
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < knn_.size() && out.size() < kRecallK; ++i) out.push_back(knn_[i].label);
    return out;
  }

  // The client's scores of given labels (for the agreement check).
  std::vector<float> scores_of(Conn& c, std::size_t j, const std::vector<std::uint32_t>& labels) {
    ReplyPtr ar = c.cmd({"HGETALL", feat_key(j)});
    RankModel::UserSide us = m_.user_side(user_key(j), ar.get());
    std::vector<float> s(labels.size());
    m_.score(us, w_, labels.data(), labels.size(), s.data());
    return s;
  }

 private:
  template <class F>
  static void split(const char* s, std::size_t n, F&& each) {
    std::size_t b = 0;
    for (std::size_t i = 0; i <= n; ++i)
      if (i == n || s[i] == ',') {
        if (i > b) each(s + b, i - b);
        b = i + 1;
      }
  }

  // Best first; ties by label, so a run is reproducible.
  static void top(std::vector<Candidate>& v, std::size_t k) {
    auto before = [](const Candidate& a, const Candidate& b) {
      return a.score > b.score || (a.score == b.score && a.label < b.label);
    };
    k = std::min(k, v.size());
    std::partial_sort(v.begin(), v.begin() + k, v.end(), before);
    v.resize(k);
  }

  void knn_unseen(std::size_t nseen) {
    const std::size_t k = std::min(kRecallK + nseen, w_.n);
    hnsw_.setEf(std::max(kRecallK, k));
    auto pq = hnsw_.searchKnn(q_.data(), k);
    knn_.clear();
    for (; !pq.empty(); pq.pop()) {
      auto [dist, label] = pq.top();
      if (seen_[label] != stamp_) knn_.push_back({1.f - dist, std::uint32_t(label)});
    }
    std::reverse(knn_.begin(), knn_.end());  // the queue pops farthest first
  }

  const World& w_;
  const RankModel& m_;
  bool term_cosine_;
  hnswlib::InnerProductSpace space_;
  hnswlib::HierarchicalNSW<float> hnsw_;
  std::uint32_t stamp_ = 0;
  std::vector<std::uint32_t> seen_, term_, knn_mark_;
  std::vector<std::uint8_t> count_;
  std::vector<std::vector<std::uint32_t>> postings_;
  std::unordered_map<std::string, std::uint32_t> genre_of_;
  std::vector<std::uint32_t> terms_, touched_, labels_;
  std::vector<float> q_, scores_;
  std::vector<Candidate> knn_, blend_, ranked_;
};

// ---- loading --------------------------------------------------------------------------------

void load_world(Conn& c, const World& w, const Shape& s, const RankModel& m) {
  Loader load(c, fail);
  std::vector<std::string> create{"RECO.CATALOG.CREATE", "cat", "DIM", std::to_string(w.dim), "METRIC", "COSINE"};
  if (!s.index.empty()) create.insert(create.end(), {"INDEX", s.index});
  if (s.index != "FLAT") create.insert(create.end(), {"M", "16", "EF_CONSTRUCTION", "200"});
  std::string how;
  for (const auto& a : create) how += (how.empty() ? "" : " ") + a;
  ReplyPtr r = c.cmd(create);
  if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error(how + ": " + describe(r.get()));
  // The blend mirrors the baseline's sources and weights: vector and term, 0.9 / 0.1, no
  // popular source.
  const std::vector<std::string> config{"RECO.CATALOG.CONFIG", "SET", "cat", "WEIGHT.VECTOR", "0.9",
                                        "WEIGHT.TERM", "0.1", "BUDGET.POPULAR", "0"};
  r = c.cmd(config);
  if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error("RECO.CATALOG.CONFIG: " + describe(r.get()));
  std::printf("  %s\n  RECO.CATALOG.CONFIG SET cat WEIGHT.VECTOR 0.9 WEIGHT.TERM 0.1 BUDGET.POPULAR 0\n", how.c_str());

  auto t0 = Clock::now();
  for (std::uint32_t i = 0; i < w.n; ++i) {
    std::vector<std::string> a{"RECO.ITEM.SET", "cat", item_id(i), "FP32", blob(&w.unit[std::size_t(i) * w.dim], w.dim),
                               "TERMS", std::to_string(w.genres[i].size())};
    for (std::uint32_t g : w.genres[i]) a.push_back(kGenreNames[g]);
    a.insert(a.end(), {"POPULARITY", std::to_string(w.popularity[i]), "FEATURES", "1", "year", std::to_string(w.year[i])});
    load.send(a);
  }
  load.drain();
  const double item_s = s_since(t0);

  t0 = Clock::now();
  std::size_t seen_ids = 0;
  for (std::size_t j = 0; j < w.users.size(); ++j) {
    const User& u = w.users[j];
    std::vector<std::string> a{"RECO.USER.SET", user_key(j), "FP32", blob(u.vec.data(), w.dim), "TERMS",
                               std::to_string(u.terms.size())};
    for (std::size_t t = 0; t < u.terms.size(); ++t) a.insert(a.end(), {kGenreNames[u.terms[t]], u.term_w[t]});
    a.insert(a.end(), {"FEATURES", std::to_string(3 + kStats), "gender", u.gender ? "M" : "F", "age", kAges[u.age],
                       "occupation", std::to_string(u.occupation)});
    for (std::size_t k = 0; k < kStats; ++k) a.insert(a.end(), {stat_name(k), fmt4(u.stats[k])});
    a.insert(a.end(), {"SEEN", std::to_string(u.seen.size())});
    for (std::uint32_t l : u.seen) a.push_back(item_id(l));
    load.send(a);
    seen_ids += u.seen.size();
  }
  load.drain();
  const double user_s = s_since(t0);

  t0 = Clock::now();
  for (std::size_t j = 0; j < w.users.size(); ++j) {
    const User& u = w.users[j];
    std::string term, filter;
    for (std::uint32_t g : u.terms) term += (term.empty() ? "" : ",") + std::string(kGenreNames[g]);
    for (std::uint32_t l : u.seen) {
      if (!filter.empty()) filter += ',';
      filter += item_id(l);
    }
    load.send({"HSET", base_key(j), "term", term, "vector", u.vec_text, "filter", filter});
    std::vector<std::string> f{"HSET", feat_key(j), "gender", u.gender ? "M" : "F", "age", kAges[u.age],
                               "occupation", std::to_string(u.occupation)};
    for (std::size_t k = 0; k < kStats; ++k) f.insert(f.end(), {stat_name(k), fmt4(u.stats[k])});
    load.send(f);
  }
  load.drain();
  const double hash_s = s_since(t0);

  t0 = Clock::now();
  std::string bytes = m.file_bytes();
  r = c.cmd({"RECO.MODEL.PUT", "cat", "v1", bytes, "ACTIVATE"});
  if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error("RECO.MODEL.PUT: " + describe(r.get()));
  std::printf("  loaded (pipelined): %zu items (RECO.ITEM.SET) in %.1f s; %zu users (RECO.USER.SET, %zu seen ids) in "
              "%.1f s; baseline hashes (HSET b:<u>, f:<u>) in %.1f s; model v1 (%.1f MB) PUT + ACTIVATE in %.2f s\n",
              w.n, item_s, w.users.size(), seen_ids, user_s, hash_s, double(bytes.size()) / 1e6, s_since(t0));
}

// ---- checks ---------------------------------------------------------------------------------

std::vector<std::uint32_t> labels_of(const redisReply* r) {
  std::vector<std::uint32_t> out;
  if (r->type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 0; i < r->elements; ++i) out.push_back(label_of(r->element[i]->str, r->element[i]->len));
  return out;
}

void check_list(const std::vector<std::uint32_t>& ls, const User& u, std::size_t j, std::size_t n, const char* what) {
  const std::string who = std::string(what) + " for " + user_key(j) + ": ";
  if (ls.size() != n) return fail(who + std::to_string(ls.size()) + " items, expected " + std::to_string(n));
  std::set<std::uint32_t> distinct(ls.begin(), ls.end());
  if (distinct.size() != ls.size()) return fail(who + "duplicate items");
  for (std::uint32_t l : ls)
    if (l == UINT32_MAX || u.has_seen(l)) return fail(who + "unknown or seen item");
}

// Exact top-kRecallK by cosine over the user's unseen items.
std::vector<std::uint32_t> exact_unseen(const World& w, const std::vector<float>& unit_q, const User& u) {
  std::vector<std::pair<double, std::uint32_t>> all;
  all.reserve(w.n);
  for (std::uint32_t i = 0; i < w.n; ++i) {
    if (u.has_seen(i)) continue;
    const float* x = &w.unit[std::size_t(i) * w.dim];
    double s = 0;
    for (std::size_t d = 0; d < w.dim; ++d) s += double(x[d]) * unit_q[d];
    all.emplace_back(s, i);
  }
  std::size_t k = std::min(kRecallK, all.size());
  std::partial_sort(all.begin(), all.begin() + k, all.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<std::uint32_t> out(k);
  for (std::size_t i = 0; i < k; ++i) out[i] = all[i].second;
  return out;
}

double overlap(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  std::set<std::uint32_t> s(b.begin(), b.end());
  std::size_t n = 0;
  for (std::uint32_t l : a) n += s.count(l);
  return b.empty() ? 0 : double(n) / double(b.size());
}

std::vector<std::string> recommend_args(std::size_t j, bool ranked) {
  std::vector<std::string> a{"RECO.RECOMMEND", "cat", user_key(j), std::to_string(kTop)};
  if (!ranked) a.insert(a.end(), {"MODEL", "NONE"});
  return a;
}

// The vector source alone, at the real request's budget: with one source the served order is
// the vector order, and the seen-set is applied inside the search as in every request.
std::vector<std::string> vector_stage_args(std::size_t j) {
  const std::string k = std::to_string(kRecallK);
  return {"RECO.RECOMMEND", "cat", user_key(j), k, "BUDGET", "VECTOR", k, "BUDGET", "TERM", "0", "BUDGET",
          "POPULAR", "0", "BUDGET", "SESSION", "0", "MODEL", "NONE"};
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(std::ceil(p * double(v.size())));
  return v[std::min(i ? i - 1 : 0, v.size() - 1)];
}

struct Explain {
  std::vector<double> recall_us, rank_us, total_us, candidates;
};

Explain explain(Conn& c, const std::vector<std::size_t>& who, bool ranked,
                const std::function<std::vector<std::string>(std::size_t)>& args) {
  Explain e;
  for (std::size_t j : who) {
    auto a = args(j);
    a.push_back("EXPLAIN");
    ReplyPtr r = c.cmd(a);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || r->element[3]->type != REDIS_REPLY_ARRAY) {
      fail("EXPLAIN: " + describe(r.get()));
      return e;
    }
    const redisReply* st = r->element[3];
    for (std::size_t i = 0; i + 1 < st->elements; i += 2) {
      std::string name(st->element[i]->str, st->element[i]->len);
      double v = double(st->element[i + 1]->integer);
      if (name == "recall_us") e.recall_us.push_back(v);
      else if (name == "rank_us") e.rank_us.push_back(v);
      else if (name == "total_us") e.total_us.push_back(v);
      else if (name == "candidates") e.candidates.push_back(v);
      else if (name == "model" && ranked != (st->element[i + 1]->len > 0)) fail("EXPLAIN: unexpected model");
    }
  }
  return e;
}

std::string cpus_allowed(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Cpus_allowed_list:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 18));
  return "?";
}

// ---- one shape ------------------------------------------------------------------------------

struct Row {
  std::string op;
  double p50 = 0, p99 = 0, mean = 0;
};

struct ShapeResult {
  Shape shape;
  std::vector<Row> rows;  // baseline, reco blend, reco ranked, PING, PING after client work
  double recall_base = 0, recall_reco = 0;
  Explain ex_blend, ex_ranked, ex_vector, ex_term;
  std::string reco_threads;
};

ShapeResult run_shape(const Shape& s, const Options& o) {
  ShapeResult res;
  res.shape = s;
  pin_self(o.client_cpu);
  auto t0 = Clock::now();
  World w = make_world(s, o.seed + s.items);
  std::vector<double> seen_sizes;
  for (const User& u : w.users) seen_sizes.push_back(double(u.seen.size()));
  double seen_mean = std::accumulate(seen_sizes.begin(), seen_sizes.end(), 0.0) / double(seen_sizes.size());
  double term_items = 0;
  for (const User& u : w.users) {
    std::size_t n = 0;
    for (std::uint32_t i = 0; i < w.n; ++i)
      for (std::uint32_t g : w.genres[i])
        if (std::find(u.terms.begin(), u.terms.end(), g) != u.terms.end()) {
          ++n;
          break;
        }
    term_items += double(n);
    if (&u - w.users.data() >= 200) break;
  }
  term_items /= double(std::min<std::size_t>(201, w.users.size()));
  std::printf("\n== shape %s: %zu items x %zu dims (%zu clusters), %zu users; seen per user: mean %.0f, p50 %.0f, "
              "p99 %.0f, max %.0f; items carrying one of a user's genres: %.0f on average (data in %.1f s)\n",
              s.name.c_str(), s.items, s.dim, s.clusters, s.users, seen_mean, pct(seen_sizes, 0.5),
              pct(seen_sizes, 0.99), pct(seen_sizes, 1.0), term_items, s_since(t0));

  t0 = Clock::now();
  RankModel model(s.users, s.items, o.seed * 7 + 1);
  Stack stack(w, model, o.term_cosine);
  std::printf("  client: hnswlib HierarchicalNSW (M 16, ef_construction 200, inner product on unit vectors) built in "
              "%.1f s\n", s_since(t0));

  pin_self(o.server_cpu);  // the server and its threads inherit this mask
  reco::test::RedisServer server;
  server.start(o.module);
  long server_pid = std::stol(server.info("server")["process_id"]);
  pin_self(o.client_cpu);
  Conn c(server.port());
  if (o.reco_threads >= 0) {
    ReplyPtr r = c.cmd({"CONFIG", "SET", "reco.threads", std::to_string(o.reco_threads)});
    if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error("CONFIG SET reco.threads: " + describe(r.get()));
  }
  std::printf("  placement: redis-server pid %ld on CPUs %s, client pid %ld on CPUs %s; reco_threads %s (%s)\n",
              server_pid, cpus_allowed(server_pid).c_str(), long(getpid()), cpus_allowed(getpid()).c_str(),
              (res.reco_threads = server.info("reco")["reco_threads"]).c_str(),
              o.reco_threads >= 0 ? "CONFIG SET reco.threads" : "the module's default");
  load_world(c, w, s, model);
  {
    ReplyPtr r = c.cmd({"RECO.CATALOG.INFO", "cat"});
    std::string index, search;
    for (std::size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
      std::string k(r->element[i]->str, r->element[i]->len);
      const redisReply* v = r->element[i + 1];
      std::string val = v->type == REDIS_REPLY_INTEGER ? std::to_string(v->integer) : std::string(v->str ? v->str : "", v->len);
      if (k == "index_type") index = val;
      if (k == "index_search") search = val;
      if (k == "items" && val != std::to_string(w.n)) fail("catalog holds " + val + " items");
    }
    std::printf("  catalog: index %s, searched by %s; server used_memory %s\n", index.c_str(), search.c_str(),
                server.info("memory")["used_memory_human"].c_str());
  }

  std::mt19937_64 rng(o.seed + 99);
  std::vector<std::size_t> perm(w.users.size());
  std::iota(perm.begin(), perm.end(), std::size_t(0));
  std::shuffle(perm.begin(), perm.end(), rng);

  // Same function on both sides: client scores against RECO.SCORE.
  double max_diff = 0;
  std::size_t compared = 0;
  for (std::size_t a = 0; a < std::min(o.agree, perm.size()); ++a) {
    std::size_t j = perm[a];
    std::vector<std::uint32_t> cands;
    stack.request(c, j, nullptr, &cands);
    std::vector<float> mine = stack.scores_of(c, j, cands);
    std::vector<std::string> args{"RECO.SCORE", "cat", user_key(j), std::to_string(cands.size())};
    for (std::uint32_t l : cands) args.push_back(item_id(l));
    ReplyPtr r = c.cmd(args);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != cands.size()) {
      fail("RECO.SCORE: " + describe(r.get()));
      continue;
    }
    for (std::size_t i = 0; i < cands.size(); ++i) {
      if (r->element[i]->type != REDIS_REPLY_STRING) {
        fail("RECO.SCORE: nil score");
        continue;
      }
      double theirs = std::strtod(r->element[i]->str, nullptr);
      max_diff = std::max(max_diff, std::fabs(theirs - double(mine[i])));
      ++compared;
    }
  }
  std::printf("  ranker agreement: client scores vs RECO.SCORE over %zu (user, item) pairs of %zu users: max |diff| "
              "%.2e (limit 1e-4)\n", compared, std::min(o.agree, perm.size()), max_diff);
  if (!(max_diff <= 1e-4)) fail("client ranker and RECO.SCORE disagree by " + std::to_string(max_diff));

  // Vector stage recall@200 against an exact search over the unseen items.
  double rb = 0, rr = 0, ov_ranked = 0, ov_blend = 0;
  const std::size_t nc = std::min(o.checked, perm.size());
  for (std::size_t a = 0; a < nc; ++a) {
    std::size_t j = perm[a];
    const User& u = w.users[j];
    std::vector<float> q = u.vec;
    reco::bench::normalise_rows(q, w.dim);
    auto exact = exact_unseen(w, q, u);
    rb += overlap(stack.vector_stage(q, u), exact);
    ReplyPtr r = c.cmd(vector_stage_args(j));
    auto got = labels_of(r.get());
    check_list(got, u, j, kRecallK, "vector stage");
    rr += overlap(got, exact);
    auto base = stack.request(c, j, nullptr);
    ReplyPtr rk = c.cmd(recommend_args(j, true));
    ReplyPtr bl = c.cmd(recommend_args(j, false));
    ov_ranked += overlap(labels_of(rk.get()), base);
    ov_blend += overlap(labels_of(bl.get()), base);
  }
  res.recall_base = rb / double(nc);
  res.recall_reco = rr / double(nc);
  std::printf("  vector stage recall@200 vs exact search over unseen items (%zu users): baseline hnswlib (k = 200 + "
              "|filter|, ef = max(200, k), filtered after) %.4f; reco (RECO.RECOMMEND K=200 BUDGET VECTOR 200, TERM/"
              "POPULAR/SESSION 0, MODEL NONE: the seen-set filtered inside the search) %.4f\n",
              nc, res.recall_base, res.recall_reco);
  std::printf("  top-50 overlap with the baseline's list: reco ranked %.3f, reco blend %.3f (candidate sets differ: "
              "see notes)\n", ov_ranked / double(nc), ov_blend / double(nc));

  std::vector<std::size_t> ex_users(perm.begin(), perm.begin() + std::min(o.explain, perm.size()));
  res.ex_blend = explain(c, ex_users, false, [](std::size_t j) { return recommend_args(j, false); });
  res.ex_ranked = explain(c, ex_users, true, [](std::size_t j) { return recommend_args(j, true); });
  res.ex_vector = explain(c, ex_users, false, vector_stage_args);
  res.ex_term = explain(c, ex_users, false, [](std::size_t j) {
    auto a = recommend_args(j, false);
    a.insert(a.end(), {"BUDGET", "VECTOR", "0"});
    return a;
  });

  // Timed: rounds of o.round requests per op, the op order rotating each round. Ops 3 and 4
  // are PINGs: the loopback floor, and the same after 1 ms of client work, in which the
  // server's core may go to another job and the next request waits for it to come back (on
  // a shared machine that wait falls on every round trip that follows client work).
  constexpr int kOps = 5;
  StageTimes st;
  std::vector<std::vector<double>> lat(kOps);
  std::vector<std::pair<std::size_t, std::vector<std::uint32_t>>> base_out;
  std::vector<std::pair<std::size_t, ReplyPtr>> kept;
  auto settle = [&](int op) {
    for (auto& [j, ls] : base_out) check_list(ls, w.users[j], j, kTop, "baseline");
    for (auto& [j, r] : kept) {
      if (op >= 3) {
        if (r->type != REDIS_REPLY_STATUS) fail("PING: " + describe(r.get()));
      } else if (r->type != REDIS_REPLY_ARRAY) {
        fail(std::string(op == 1 ? "blend" : "ranked") + ": " + describe(r.get()));
      } else {
        check_list(labels_of(r.get()), w.users[j], j, kTop, op == 1 ? "reco blend" : "reco ranked");
      }
    }
    base_out.clear();
    kept.clear();
  };
  const std::size_t total = o.warmup + s.requests;
  t0 = Clock::now();
  for (std::size_t start = 0, round = 0; start < total; start += o.round, ++round) {
    const std::size_t end = std::min(total, start + o.round);
    for (int step = 0; step < kOps; ++step) {
      const int op = int((round + step) % kOps);
      for (std::size_t i = start; i < end; ++i) {
        const std::size_t j = perm[i % perm.size()];
        const bool timed = i >= o.warmup;
        auto q0 = Clock::now();
        if (op == 0) {
          auto ls = stack.request(c, j, timed ? &st : nullptr);
          double us = us_since(q0);
          base_out.emplace_back(j, std::move(ls));
          if (timed) lat[0].push_back(us);
        } else if (op >= 3) {
          if (op == 4) {
            while (us_since(q0) < 1000) {
            }
            q0 = Clock::now();
          }
          ReplyPtr r = c.cmd({"PING"});
          double us = us_since(q0);
          kept.emplace_back(j, std::move(r));
          if (timed) lat[op].push_back(us);
        } else {
          ReplyPtr r = c.cmd(recommend_args(j, op == 2));
          double us = us_since(q0);
          kept.emplace_back(j, std::move(r));
          if (timed) lat[op].push_back(us);
        }
      }
      settle(op);
    }
  }
  const double timed_s = s_since(t0);
  {
    auto info = server.info("reco");
    std::printf("  reco queries so far: %s on worker threads, %s inline\n", info["reco_queries_threaded"].c_str(),
                info["reco_queries_inline"].c_str());
  }
  server.stop();

  const char* names[kOps] = {"baseline: 3x HGET + hnswlib kNN + terms + blend + HGETALL + DeepFM",
                             "reco: RECO.RECOMMEND K=50 MODEL NONE (blend)", "reco: RECO.RECOMMEND K=50 (active model)",
                             "PING (loopback floor)", "PING after 1 ms of client work (server core idle)"};
  for (int op = 0; op < kOps; ++op) {
    Row r;
    r.op = names[op];
    r.p50 = pct(lat[op], 0.5);
    r.p99 = pct(lat[op], 0.99);
    r.mean = std::accumulate(lat[op].begin(), lat[op].end(), 0.0) / double(lat[op].size());
    res.rows.push_back(r);
  }
  std::printf("  timed: %zu requests per op (after %zu warm-up), rounds of %zu, interleaved (%.1f s)\n", s.requests,
              o.warmup, o.round, timed_s);
  std::printf("  %-70s %9s %9s %9s %14s\n", "op", "p50 us", "p99 us", "mean us", "base/op p50|p99");
  for (std::size_t i = 0; i < res.rows.size(); ++i) {
    const Row& r = res.rows[i];
    std::printf("  %-70s %9.1f %9.1f %9.1f", r.op.c_str(), r.p50, r.p99, r.mean);
    if (i < 3) std::printf(" %6.2fx|%5.2fx", res.rows[0].p50 / r.p50, res.rows[0].p99 / r.p99);
    std::printf("\n");
  }
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); };
  std::printf("  baseline stages, median (mean) us: HGET x3 + parse %.0f (%.0f) | kNN %.0f (%.0f) | terms + blend + "
              "top-200 %.0f (%.0f) | HGETALL + parse %.0f (%.0f) | ranker (200) + top-50 %.0f (%.0f) | total %.0f (%.0f)\n",
              pct(st.hget, 0.5), mean(st.hget), pct(st.knn, 0.5), mean(st.knn), pct(st.blend, 0.5), mean(st.blend),
              pct(st.hgetall, 0.5), mean(st.hgetall), pct(st.rank, 0.5), mean(st.rank), pct(st.total, 0.5),
              mean(st.total));
  for (auto [label, e] : {std::pair<const char*, const Explain*>{"blend ", &res.ex_blend}, {"ranked", &res.ex_ranked},
                          {"vector source alone (K=200, the recall request)", &res.ex_vector},
                          {"term source alone (K=50, BUDGET VECTOR 0)", &res.ex_term}})
    std::printf("  reco %s, server-side EXPLAIN median over %zu users: recall_us %.0f, rank_us %.0f, total_us %.0f; "
                "candidates %.0f\n", label, e->total_us.size(), pct(e->recall_us, 0.5), pct(e->rank_us, 0.5),
                pct(e->total_us, 0.5), pct(e->candidates, 0.5));
  return res;
}

void write_csv(const std::string& path, const std::vector<ShapeResult>& all, const Options& o) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << "server_cpu,client_cpu,reco_threads,shape,items,users,dim,index,op,requests,p50_us,p99_us,mean_us,baseline_over_p50,baseline_over_p99,"
         "recall_at_200,server_recall_us,server_rank_us,server_total_us,candidates\n";
  for (const ShapeResult& r : all) {
    const char* ops[] = {"baseline", "reco_blend", "reco_ranked", "ping", "ping_after_1ms_client_work"};
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
      const Row& row = r.rows[i];
      out << o.server_cpu << ',' << o.client_cpu << ',' << r.reco_threads << ',' << r.shape.name << ',' << r.shape.items << ',' << r.shape.users << ',' << r.shape.dim << ','
          << (r.shape.index.empty() ? "AUTO" : r.shape.index) << ',' << ops[i] << ',' << r.shape.requests << ','
          << row.p50 << ',' << row.p99 << ',' << row.mean << ',';
      if (i >= 3) {
        out << ",,,,,,\n";
        continue;
      }
      out << r.rows[0].p50 / row.p50 << ',' << r.rows[0].p99 / row.p99 << ','
          << (i == 0 ? r.recall_base : r.recall_reco) << ',';
      if (i == 0) {
        out << ",,,\n";
      } else {
        const Explain& e = i == 1 ? r.ex_blend : r.ex_ranked;
        out << pct(e.recall_us, 0.5) << ',' << pct(e.rank_us, 0.5) << ',' << pct(e.total_us, 0.5) << ','
            << pct(e.candidates, 0.5) << '\n';
      }
    }
  }
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (flag == "--term-cosine") {
      o.term_cosine = true;
      continue;
    }
    if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
    std::string v = argv[++i];
    if (flag == "--shape") o.shapes = v == "all" ? std::vector<std::string>{"ml1m", "100k"} : std::vector<std::string>{v};
    else if (flag == "--users") o.users = parse_size(flag, v);
    else if (flag == "--items") o.items = parse_size(flag, v);
    else if (flag == "--requests") o.requests = parse_size(flag, v);
    else if (flag == "--round") o.round = parse_size(flag, v);
    else if (flag == "--warmup") o.warmup = parse_size(flag, v);
    else if (flag == "--checked") o.checked = parse_size(flag, v);
    else if (flag == "--agree") o.agree = parse_size(flag, v);
    else if (flag == "--explain") o.explain = parse_size(flag, v);
    else if (flag == "--index") o.index = v;
    else if (flag == "--server-cpu") o.server_cpu = int(parse_size(flag, v));
    else if (flag == "--client-cpu") o.client_cpu = int(parse_size(flag, v));
    else if (flag == "--reco-threads") o.reco_threads = long(parse_size(flag, v));
    else if (flag == "--seed") o.seed = parse_size(flag, v);
    else if (flag == "--csv") o.csv = v;
    else if (flag == "--module") o.module = v;
    else throw std::runtime_error("unknown option " + flag + "\n" + kUsage);
  }
  if (o.round == 0 || o.checked == 0 || o.agree == 0 || o.explain == 0)
    throw std::runtime_error("--round, --checked, --agree and --explain must be > 0");
  for (const auto& s : o.shapes) shape_of(s, o);  // validates
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stack_baseline_bench: %s\n", e.what());
    return 2;
  }
  std::ifstream la("/proc/loadavg");
  std::string load;
  std::getline(la, load);
  std::printf("stack_baseline_bench: K=%zu from %zu blended candidates; server CPU %d, client CPU %d; module %s; "
              "term-only candidates' cosine: %s; loadavg at start: %s\n",
              kTop, kRecallK, o.server_cpu, o.client_cpu, o.module.c_str(),
              o.term_cosine ? "computed (--term-cosine)" : "0 (not returned by the kNN)", load.c_str());
  std::vector<ShapeResult> all;
  auto t0 = Clock::now();
  try {
    for (const auto& name : o.shapes) all.push_back(run_shape(shape_of(name, o), o));
    if (!o.csv.empty()) write_csv(o.csv, all, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench aborted: %s\n", e.what());
    return 2;
  }
  std::printf("\nsummary (p50 / p99 us; ratio = baseline / reco)\n");
  std::printf("  %-6s %8s %8s %19s %19s %19s %12s %12s %11s %11s %17s\n", "shape", "items", "users", "baseline",
              "reco blend", "reco ranked", "ratio blend", "ratio ranked", "recall base", "recall reco",
              "PING p50 (idle)");
  for (const ShapeResult& r : all) {
    auto cell = [](const Row& x) {
      char b[32];
      std::snprintf(b, sizeof b, "%.0f / %.0f", x.p50, x.p99);
      return std::string(b);
    };
    char rb[32], rr[32];
    std::snprintf(rb, sizeof rb, "%.1fx/%.1fx", r.rows[0].p50 / r.rows[1].p50, r.rows[0].p99 / r.rows[1].p99);
    std::snprintf(rr, sizeof rr, "%.1fx/%.1fx", r.rows[0].p50 / r.rows[2].p50, r.rows[0].p99 / r.rows[2].p99);
    char ping[32];
    std::snprintf(ping, sizeof ping, "%.0f (%.0f)", r.rows[3].p50, r.rows[4].p50);
    std::printf("  %-6s %8zu %8zu %19s %19s %19s %12s %12s %11.4f %11.4f %17s\n", r.shape.name.c_str(), r.shape.items,
                r.shape.users, cell(r.rows[0]).c_str(), cell(r.rows[1]).c_str(), cell(r.rows[2]).c_str(), rb, rr,
                r.recall_base, r.recall_reco, ping);
  }
  std::printf("\ntotal %.0f s; %s\n", s_since(t0),
              g_failures ? "CHECKS FAILED" : "all checks passed: scores agree, no errors, no short lists, no seen items");
  return g_failures ? 1 : 0;
}
