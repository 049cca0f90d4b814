// Where one RECO.RECOMMEND's server time goes, stage by stage, with the engine in process.
//
// The same generated MovieLens-shaped world as stack_baseline_bench (ml_world.hpp, same seed:
// same items, users, seen-sets and model), loaded into a reco::Catalog directly, and the
// same requests that bench sends, timed around reco::recommend() (what EXPLAIN's total_us
// reports, without the command's parsing and reply):
//   vector   K=200, only the vector source (the recall request of the stack bench)
//   term     K=50, only the term source
//   blend    K=50 MODEL NONE: vector 200 x 0.9 + term 200 x 0.1 (the catalog's blend there)
//   ranked   K=50 with the active model (linear + FM + MLP [64, 32], ml_ranker.hpp)
// and, for the vector source, recall@200 against an exact scan of the unseen items, under
// the default ef (the rule of README "How RECO.RECOMMEND works") and, with --ef-sweep, under
// fixed ef values.
//
// Why it is shaped so:
// - In process, so that a stage's time is its own: no round trip, no scheduler hop between
//   a client and a server on a shared 2-core machine, whose noise is larger than the stages.
//   The end-to-end comparison stays stack_baseline_bench's job.
// - Ops run in interleaved rounds (every op for a block of users, then the next op), the
//   order rotating each round, and the whole set `--rounds` times; medians and p99 are over
//   every (round, user) sample, so drift of the machine spreads over all ops.
// - Every answer is checked outside the timed part: K results (fewer only if fewer exist),
//   no seen item, no duplicate; a failed check makes the exit status non-zero.
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "ml_ranker.hpp"
#include "ml_world.hpp"
#include <hnswlib/hnswlib.h>

#include "reco/catalog.hpp"
#include "reco/fingerprint.hpp"
#include "reco/kernels.hpp"
#include "reco/model_items.hpp"
#include "reco/model_set.hpp"
#include "reco/recommender.hpp"
#include "reco/user_profile.hpp"

namespace {

using namespace reco_bench;
using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<std::string> shapes{"ml1m", "100k"};
  std::size_t users = 500;   // users queried per shape
  std::size_t rounds = 5;
  std::size_t block = 50;    // users per op per round
  std::size_t world_users = 0;  // 0: the shape's own (popularity comes from all of them)
  bool ef_sweep = false;
  bool hnswlib = false;  // also the baseline's hnswlib vector stage on the same world
  std::string only;  // one op only (for profiling)
  std::string kernel;
  std::uint64_t seed = 11;
  int cpu = -1;
};

const char* kUsage =
    "usage: request_path_bench [--shape ml1m|100k|all] [--users N] [--rounds R] [--block B]\n"
    "         [--world-users N] [--ef-sweep] [--hnswlib] [--only vector|term|blend|ranked] [--kernel NAME]\n"
    "         [--cpu C] [--seed S]\n";

Shape shape_of(const std::string& name, const Options& o) {
  Shape s;
  s.name = name;
  if (name == "ml1m") {
    s.users = 6040, s.items = 3706, s.dim = 16, s.clusters = 40;
  } else if (name == "100k") {
    s.users = 100000, s.items = 100000, s.dim = 64, s.clusters = 200, s.index = "HNSW";
  } else {
    throw std::runtime_error("unknown shape '" + name + "'");
  }
  if (o.world_users) s.users = o.world_users;
  return s;
}

struct Loaded {
  std::unique_ptr<reco::Catalog> cat;
  std::vector<reco::UserProfile> users;  // the queried users, profile as RECO.USER.SET stores it
};

Loaded load(const World& w, const Shape& s, const RankModel& m, std::size_t queried) {
  Loaded out;
  reco::IndexConfig ic;
  if (s.index == "HNSW") ic.kind = reco::IndexKind::Hnsw;
  ic.m = 16;
  ic.ef_construction = 200;
  out.cat = std::make_unique<reco::Catalog>("cat", w.dim, reco::Metric::Cosine, ic);
  out.cat->set_refresh_on_write(false);
  for (std::uint32_t i = 0; i < w.n; ++i) {
    reco::ItemUpdate u;
    u.vector.emplace(w.unit.begin() + std::ptrdiff_t(i) * std::ptrdiff_t(w.dim),
                     w.unit.begin() + std::ptrdiff_t(i + 1) * std::ptrdiff_t(w.dim));
    u.terms.emplace();
    for (std::uint32_t g : w.genres[i]) u.terms->push_back(kGenreNames[g]);
    u.popularity = double(w.popularity[i]);
    u.features.emplace();
    u.features->push_back({"year", std::to_string(w.year[i])});
    out.cat->upsert(item_id(i), u);
  }
  out.cat->refresh_derived();
  reco::BlendConfig blend;
  blend.source(reco::Source::Vector) = {200, 0.9};
  blend.source(reco::Source::Term) = {200, 0.1};
  blend.source(reco::Source::Popular) = {0, 0.01};
  out.cat->set_blend(blend);
  out.cat->models().put("v1", m.file_bytes(), reco::CatalogItems(*out.cat));
  out.cat->models().activate("v1");
  out.cat->refresh_derived();

  for (std::size_t j = 0; j < queried; ++j) {
    const User& u = w.users[j];
    reco::UserProfile p;
    p.vector.assign(u.vec.begin(), u.vec.end());
    for (std::size_t t = 0; t < u.terms.size(); ++t)
      p.terms.push_back({reco::String(kGenreNames[u.terms[t]]), std::strtof(u.term_w[t].c_str(), nullptr)});
    std::vector<std::uint64_t> fps;
    for (std::uint32_t l : u.seen) fps.push_back(reco::fingerprint(item_id(l)));
    p.seen.assign(fps);
    p.features.push_back({"gender", u.gender ? "M" : "F"});
    p.features.push_back({"age", kAges[u.age]});
    p.features.push_back({"occupation", reco::String(std::to_string(u.occupation))});
    for (std::size_t k = 0; k < kStats; ++k)
      p.features.push_back({reco::String(stat_name(k)), reco::String(fmt4(u.stats[k]))});
    out.users.push_back(std::move(p));
  }
  return out;
}

enum Op { kVector, kTerm, kBlend, kRanked, kOps };
const char* const kOpKey[kOps] = {"vector", "term", "blend", "ranked"};
const char* const kOpName[kOps] = {"vector source alone, K=200", "term source alone, K=50",
                                   "blend, K=50 MODEL NONE", "ranked, K=50 (active model)"};

reco::RecommendRequest request_for(Op op, const reco::Catalog& cat, std::size_t j, std::string& key) {
  reco::RecommendRequest r;
  r.k = op == kVector ? 200 : 50;
  r.use_blend(cat.blend());
  if (op == kVector) r.source(reco::Source::Term).budget = 0;
  if (op == kTerm) r.source(reco::Source::Vector).budget = 0;
  key = user_key(j);
  r.user_key = key;
  if (op == kRanked) r.model = cat.models().choose(key);
  return r;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

void check(const reco::RecommendResult& r, const reco::Catalog& cat, const User& u, std::size_t k) {
  std::set<std::uint32_t> ids;
  for (const auto& it : r.items) {
    if (!ids.insert(it.id).second) fail("duplicate item in a result");
    const std::uint32_t label = label_of(cat.item(it.id).id.data(), cat.item(it.id).id.size());
    if (u.has_seen(label)) fail("seen item " + std::to_string(label) + " returned");
  }
  if (r.items.size() < std::min(k, std::size_t(50))) fail("short result: " + std::to_string(r.items.size()));
}

// Exact top-k unseen ids by cosine (the vectors are unit length).
std::vector<std::uint32_t> exact_unseen(const World& w, const User& u, std::size_t k) {
  std::vector<std::pair<float, std::uint32_t>> s;
  s.reserve(w.n);
  float n2 = 0;
  for (float x : u.vec) n2 += x * x;
  const float inv = 1.f / std::sqrt(n2);
  for (std::uint32_t i = 0; i < w.n; ++i) {
    if (u.has_seen(i)) continue;
    float d = 0;
    for (std::size_t x = 0; x < w.dim; ++x) d += u.vec[x] * inv * w.unit[std::size_t(i) * w.dim + x];
    s.push_back({-d, i});
  }
  std::partial_sort(s.begin(), s.begin() + std::ptrdiff_t(k), s.end());
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < k; ++i) out.push_back(s[i].second);
  std::sort(out.begin(), out.end());
  return out;
}

// Recall@200 of the vector source (mean and min over the queried users) at `ef` (0: the rule).
std::pair<double, double> vector_recall(const Loaded& L, const World& w,
                                        const std::vector<std::vector<std::uint32_t>>& truth,
                                        std::size_t ef, double* us_median, char* by_seen = nullptr) {
  double sum = 0, lo = 1;
  double bsum[3] = {}, bn[3] = {};  // by seen-set size: < 100, 100..299, >= 300
  std::vector<double> us;
  std::string key;
  for (std::size_t j = 0; j < truth.size(); ++j) {
    reco::RecommendRequest r = request_for(kVector, *L.cat, j, key);
    r.ef = ef;
    const auto t0 = Clock::now();
    const auto res = reco::recommend(*L.cat, &L.users[j], r);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    std::size_t hit = 0;
    for (const auto& it : res.items) {
      const std::uint32_t l = label_of(L.cat->item(it.id).id.data(), L.cat->item(it.id).id.size());
      hit += std::binary_search(truth[j].begin(), truth[j].end(), l);
    }
    const double rec = double(hit) / double(truth[j].size());
    sum += rec;
    lo = std::min(lo, rec);
    const std::size_t ns = w.users[j].seen.size(), b = ns < 100 ? 0 : ns < 300 ? 1 : 2;
    bsum[b] += rec, bn[b] += 1;
    if (rec < 0.5 && std::getenv("RECO_BENCH_DEBUG"))
    {
      const User& u = w.users[j];
      double n2 = 0;
      for (float x : u.vec) n2 += double(x) * x;
      auto cos_of = [&](std::uint32_t l) {
        double d = 0;
        for (std::size_t x = 0; x < w.dim; ++x) d += u.vec[x] * w.unit[std::size_t(l) * w.dim + x];
        return d / std::sqrt(n2);
      };
      double tmax = -2, tmin = 2, gmax = -2, gmin = 2;
      for (std::uint32_t l : truth[j]) tmax = std::max(tmax, cos_of(l)), tmin = std::min(tmin, cos_of(l));
      for (const auto& it : res.items) {
        const double c = cos_of(label_of(L.cat->item(it.id).id.data(), L.cat->item(it.id).id.size()));
        gmax = std::max(gmax, c), gmin = std::min(gmin, c);
      }
      std::printf("      user %zu: recall %.3f, seen %zu, got %zu; truth cos %.3f..%.3f, got %.3f..%.3f\n", j, rec,
                  L.users[j].seen.size(), res.items.size(), tmin, tmax, gmin, gmax);
    }
  }
  *us_median = pct(us, 0.5);
  if (by_seen)
    std::snprintf(by_seen, 128, "by |seen|: <100 %.3f (%g users), 100-299 %.3f (%g), >=300 %.3f (%g)",
                  bn[0] ? bsum[0] / bn[0] : 0.0, bn[0], bn[1] ? bsum[1] / bn[1] : 0.0, bn[1],
                  bn[2] ? bsum[2] / bn[2] : 0.0, bn[2]);
  return {sum / double(truth.size()), lo};
}

// The original pipeline's vector stage on the same world: hnswlib (M 16, ef_construction
// 200, inner product on unit vectors), k = 200 + |seen| with ef = max(200, k), the seen items
// dropped, the first 200 kept (stack_baseline_bench's client does exactly this).
void hnswlib_recall(const World& w, const std::vector<std::vector<std::uint32_t>>& truth) {
  const auto t0 = Clock::now();
  hnswlib::InnerProductSpace space(w.dim);
  hnswlib::HierarchicalNSW<float> h(&space, w.n, 16, 200, 100);
  for (std::uint32_t i = 0; i < w.n; ++i) h.addPoint(w.unit.data() + std::size_t(i) * w.dim, i);
  const double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  double sum = 0, lo = 1;
  std::vector<double> us;
  for (std::size_t j = 0; j < truth.size(); ++j) {
    const User& u = w.users[j];
    std::vector<float> q(u.vec);
    double n2 = 0;
    for (float x : q) n2 += double(x) * x;
    for (float& x : q) x = float(x / std::sqrt(n2));
    const auto a = Clock::now();
    const std::size_t k = std::min<std::size_t>(200 + u.seen.size(), w.n);
    h.setEf(std::max<std::size_t>(200, k));
    auto pq = h.searchKnn(q.data(), k);
    std::vector<std::pair<float, std::uint32_t>> got;
    for (; !pq.empty(); pq.pop())
      if (!u.has_seen(std::uint32_t(pq.top().second))) got.push_back({pq.top().first, std::uint32_t(pq.top().second)});
    std::reverse(got.begin(), got.end());
    if (got.size() > 200) got.resize(200);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    std::size_t hit = 0;
    for (const auto& g : got) hit += std::binary_search(truth[j].begin(), truth[j].end(), g.second);
    const double rec = double(hit) / double(truth[j].size());
    sum += rec;
    lo = std::min(lo, rec);
  }
  std::printf("  baseline hnswlib vector stage (k = 200 + |seen|, ef = max(200, k); built in %.1f s): recall mean %.4f, "
              "min %.4f, p50 %.1f us\n",
              build_s, sum / double(truth.size()), lo, pct(us, 0.5));
}

void run_shape(const std::string& name, const Options& o) {
  const Shape s = shape_of(name, o);
  auto t0 = Clock::now();
  const World w = make_world(s, o.seed + s.items);  // the seeds of stack_baseline_bench
  const RankModel m(s.users, s.items, o.seed * 7 + 1);
  const std::size_t queried = std::min(o.users, w.users.size());
  const Loaded L = load(w, s, m, queried);
  const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  double mean_seen = 0;
  for (std::size_t j = 0; j < queried; ++j) mean_seen += double(w.users[j].seen.size());
  std::printf("\n== shape %s: %zu items x %zu dims, index %s%s, %zu users queried (seen mean %.0f); built in %.1f s; "
              "kernel %s\n",
              name.c_str(), w.n, w.dim, s.index.empty() ? "AUTO" : s.index.c_str(),
              L.cat->searches_exactly() ? " (scanning exactly)" : "", queried, mean_seen / double(queried), load_s,
              std::string(reco::active_kernel_name()).c_str());

  std::vector<double> total[kOps], recall_us[kOps], rank_us[kOps];
  std::size_t cands[kOps] = {};
  std::string key;
  for (std::size_t round = 0; round < o.rounds; ++round) {
    for (std::size_t b0 = 0; b0 < queried; b0 += o.block) {
      const std::size_t b1 = std::min(queried, b0 + o.block);
      for (std::size_t oi = 0; oi < kOps; ++oi) {
        const Op op = Op((oi + round + b0 / o.block) % kOps);
        if (!o.only.empty() && o.only != kOpKey[op]) continue;
        std::vector<reco::RecommendResult> kept;
        kept.reserve(b1 - b0);
        for (std::size_t j = b0; j < b1; ++j) {
          reco::RecommendRequest r = request_for(op, *L.cat, j, key);
          const auto a = Clock::now();
          kept.push_back(reco::recommend(*L.cat, &L.users[j], r));
          total[op].push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
        }
        for (std::size_t j = b0; j < b1; ++j) {
          const auto& res = kept[j - b0];
          check(res, *L.cat, w.users[j], op == kVector ? 200 : 50);
          recall_us[op].push_back(res.stats.recall_us);
          rank_us[op].push_back(res.stats.rank_us);
          cands[op] += res.stats.candidates;
        }
      }
    }
  }
  std::printf("  %-32s %9s %9s %11s %9s %7s\n", "op", "p50 us", "p99 us", "recall p50", "rank p50", "cands");
  for (std::size_t op = 0; op < kOps; ++op)
    if (!total[op].empty())
      std::printf("  %-32s %9.1f %9.1f %11.1f %9.1f %7.0f\n", kOpName[op], pct(total[op], 0.5), pct(total[op], 0.99),
                pct(recall_us[op], 0.5), pct(rank_us[op], 0.5), double(cands[op]) / double(total[op].size()));

  std::vector<std::vector<std::uint32_t>> truth;
  for (std::size_t j = 0; j < queried; ++j) truth.push_back(exact_unseen(w, w.users[j], 200));
  double med = 0;
  char by_seen[128] = "";
  auto [mean, lo] = vector_recall(L, w, truth, 0, &med, by_seen);
  std::printf("  vector source recall@200 vs exact (unseen items), default ef: mean %.4f, min %.4f (p50 %.1f us)\n"
              "    %s\n",
              mean, lo, med, by_seen);
  if (o.hnswlib) hnswlib_recall(w, truth);
  if (o.ef_sweep && !L.cat->searches_exactly()) {
    for (std::size_t ef : {200, 300, 400, 600, 800}) {
      auto [me, mi] = vector_recall(L, w, truth, ef, &med, by_seen);
      std::printf("    EF %4zu: recall mean %.4f, min %.4f, p50 %.1f us; %s\n", ef, me, mi, med, by_seen);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--shape") {
        const std::string v = next();
        o.shapes = v == "all" ? std::vector<std::string>{"ml1m", "100k"} : std::vector<std::string>{v};
      } else if (a == "--users") o.users = parse_size(a, next());
      else if (a == "--rounds") o.rounds = parse_size(a, next());
      else if (a == "--block") o.block = std::max<std::size_t>(1, parse_size(a, next()));
      else if (a == "--world-users") o.world_users = parse_size(a, next());
      else if (a == "--ef-sweep") o.ef_sweep = true;
      else if (a == "--hnswlib") o.hnswlib = true;
      else if (a == "--only") o.only = next();
      else if (a == "--kernel") o.kernel = next();
      else if (a == "--cpu") o.cpu = int(parse_size(a, next()));
      else if (a == "--seed") o.seed = parse_size(a, next());
      else {
        std::fputs(kUsage, stderr);
        return 2;
      }
    }
    if (o.cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(o.cpu, &set);
      if (sched_setaffinity(0, sizeof set, &set) != 0) throw std::runtime_error("cannot pin to the CPU");
    }
    if (!o.kernel.empty() && !reco::set_kernel(o.kernel)) throw std::runtime_error("unknown kernel " + o.kernel);
    for (const auto& sh : o.shapes) run_shape(sh, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "request_path_bench: %s\n", e.what());
    return 2;
  }
  if (g_failures) {
    std::fprintf(stderr, "%zu checks failed\n", g_failures);
    return 1;
  }
  return 0;
}
