// Raw distance kernels (reco/kernels.hpp): nanoseconds per call of each kernel table this
// CPU can run, at a few dimensions, in interleaved rounds (best round kept).
//
// Why it is shaped so:
// - Each call scores the query against another stored vector, taken in a shuffled order
//   from a pool that fits in L2 (as a walk's vectors mostly do once prefetched), and the
//   results are summed, so calls overlap as a walk's do and nothing is optimised away.
// - Through the table's pointer, as the walk calls every kernel but SSE; the row
//   "sse-inline" is the header kernel inlined into the loop (the walk's SSE path), so the
//   gap between it and "sse" is the cost of the indirect call.
// - "avx2-fma" is not one of reco's kernels: four 8-lane accumulators with fused
//   multiply-adds, the usual shape, whose sums depend on the instruction set. It shows what
//   the shared summation order (bit-identical results on every CPU) costs.
// - dot_rows is the exact scan's loop (FlatIndex), against the per-row Eigen dot product
//   the scan used before.
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <Eigen/Core>
#include <algorithm>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "reco/hnsw_distance.hpp"
#include "reco/kernels.hpp"

namespace {

// This thread's CPU time: the machine may be shared, and time given to others is not ours.
double cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return 1e9 * double(ts.tv_sec) + double(ts.tv_nsec);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float fma_l2sq(const float* a, const float* b, std::size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
    s2 = _mm256_fmadd_ps(d2, d2, s2);
    s3 = _mm256_fmadd_ps(d3, d3, s3);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    s0 = _mm256_fmadd_ps(d, d, s0);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float r = _mm_cvtss_f32(h);
  for (; i < n; ++i) r += (a[i] - b[i]) * (a[i] - b[i]);
  return r;
}
#endif

struct Pool {
  std::size_t dim, count;
  std::vector<float> f;
  std::vector<std::int8_t> c;
  std::vector<float> q;
  std::vector<std::uint32_t> order;
};

// Vectors in a pool of about 256 KB of floats: in L2, beyond L1.
std::size_t pool_count(std::size_t dim) { return std::max<std::size_t>(64, (256 * 1024) / (dim * 4)); }

Pool make_pool(std::size_t dim) {
  Pool p{dim, pool_count(dim), {}, {}, {}, {}};
  std::mt19937_64 rng(dim);
  std::normal_distribution<float> g;
  p.f.resize(p.count * dim);
  p.c.resize(p.count * dim);
  p.q.resize(dim);
  for (auto& x : p.f) x = g(rng);
  for (auto& x : p.c) x = static_cast<std::int8_t>(std::clamp(int(g(rng) * 40), -127, 127));
  for (auto& x : p.q) x = g(rng);
  p.order.resize(p.count);
  std::iota(p.order.begin(), p.order.end(), 0u);
  std::shuffle(p.order.begin(), p.order.end(), rng);
  return p;
}

volatile float g_sink;

// ns per call of fn(query, vector i) over the pool, `passes` times.
template <class Fn>
double ns_per_call(const Pool& p, std::size_t passes, const Fn& fn) {
  float s = 0;
  const double t0 = cpu_ns();
  for (std::size_t r = 0; r < passes; ++r)
    for (std::uint32_t i : p.order) s += fn(i);
  const double ns = cpu_ns() - t0;
  g_sink = s;
  return ns / double(passes * p.count);
}

// ns per row of the exact scan's loop: rows in storage order, 256 a call.
template <class Rows>
double ns_per_row(const Pool& p, std::size_t passes, const Rows& rows) {
  std::vector<float> out(256);
  float s = 0;
  const double t0 = cpu_ns();
  for (std::size_t r = 0; r < passes; ++r)
    for (std::size_t start = 0; start < p.count; start += 256) {
      const std::size_t n = std::min<std::size_t>(256, p.count - start);
      rows(start, n, out.data());
      s += out[n - 1];
    }
  const double ns = cpu_ns() - t0;
  g_sink = s;
  return ns / double(passes * p.count);
}

struct Case {
  std::string kernel, op;
  std::size_t dim;
  std::function<double(std::size_t)> run;  // passes -> ns per call
  double best = 1e300;
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::size_t rounds = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 5;
  const std::vector<std::size_t> dims = {16, 32, 64, 128};
  std::vector<Pool> pools;
  for (std::size_t d : dims) pools.push_back(make_pool(d));
  std::vector<const reco::kernels::Table*> tables;
  for (std::string_view k : reco::available_kernels()) {
    reco::set_kernel(k);
    tables.push_back(&reco::kernels::active());
  }
  reco::set_kernel("auto");

  std::vector<Case> cases;
  for (const Pool& p : pools) {
    const std::size_t d = p.dim;
    const float* q = p.q.data();
    const float* f = p.f.data();
    const std::int8_t* c = p.c.data();
    auto add = [&](std::string kernel, std::string op, auto fn) {
      cases.push_back({kernel, op, d, [&p, fn](std::size_t passes) { return ns_per_call(p, passes, fn); }});
    };
    auto add_rows = [&](std::string kernel, auto rows) {
      cases.push_back({kernel, "dot_rows", d, [&p, rows](std::size_t passes) { return ns_per_row(p, passes, rows); }});
    };
    for (const auto* t : tables) {
      add(t->name, "dot", [=](std::uint32_t i) { return t->dot(q, f + i * d, d); });
      add(t->name, "l2sq", [=](std::uint32_t i) { return t->l2sq(q, f + i * d, d); });
      add(t->name, "dot_q", [=](std::uint32_t i) { return t->dot_q(q, c + i * d, d); });
      add(t->name, "l2sq_q", [=](std::uint32_t i) { return t->l2sq_q(q, c + i * d, 0.01f, d); });
      add(t->name, "dot_qq", [=](std::uint32_t i) { return t->dot_qq(c, c + i * d, d); });
      add(t->name, "l2sq_qq", [=](std::uint32_t i) { return t->l2sq_qq(c, 0.01f, c + i * d, 0.02f, d); });
      add_rows(t->name, [=](std::size_t start, std::size_t n, float* out) {
        t->dot_rows(q, f + start * d, d, d, n, out);
      });
    }
    add("sse-inline", "dot", [=](std::uint32_t i) { return reco::hnsw::dot(q, f + i * d, d); });
    add("sse-inline", "l2sq", [=](std::uint32_t i) { return reco::hnsw::l2sq(q, f + i * d, d); });
    add_rows("eigen", [=](std::size_t start, std::size_t n, float* out) {
      const Eigen::Map<const Eigen::VectorXf> qv(q, d);
      for (std::size_t r = 0; r < n; ++r)
        out[r] = Eigen::Map<const Eigen::VectorXf>(f + (start + r) * d, d).dot(qv);
    });
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      add("avx2-fma", "l2sq", [=](std::uint32_t i) { return fma_l2sq(q, f + i * d, d); });
#endif
  }

  // Calibrate the passes so that one measurement takes about 20 ms, then interleave rounds.
  std::vector<std::size_t> passes(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const double ns = cases[i].run(4);
    passes[i] = std::max<std::size_t>(4, std::size_t(20e6 / (ns * double(pool_count(cases[i].dim)))));
  }
  for (std::size_t r = 0; r < rounds; ++r)
    for (std::size_t i = 0; i < cases.size(); ++i)
      cases[i].best = std::min(cases[i].best, cases[i].run(passes[i]));

  std::printf("ns per call (per row for dot_rows), thread CPU time, best of %zu rounds; the vectors\n"
              "(256 KB) stay in L2\n",
              rounds);
  std::vector<std::string> ops = {"dot", "l2sq", "dot_q", "l2sq_q", "dot_qq", "l2sq_qq", "dot_rows"};
  std::vector<std::string> kernels;
  for (const Case& c : cases)
    if (std::find(kernels.begin(), kernels.end(), c.kernel) == kernels.end()) kernels.push_back(c.kernel);
  std::printf("%-9s %-11s", "op", "kernel");
  for (std::size_t d : dims) std::printf(" %8s", ("d=" + std::to_string(d)).c_str());
  std::printf("\n");
  for (const auto& op : ops) {
    for (const auto& k : kernels) {
      bool any = false;
      for (const Case& c : cases) any |= c.op == op && c.kernel == k;
      if (!any) continue;
      std::printf("%-9s %-11s", op.c_str(), k.c_str());
      for (std::size_t d : dims) {
        double v = 0;
        for (const Case& c : cases)
          if (c.op == op && c.kernel == k && c.dim == d) v = c.best;
        std::printf(" %8.2f", v);
      }
      std::printf("\n");
    }
  }
  return 0;
}
