// Exact k-nearest search: reco's FlatIndex against hnswlib's BruteforceSearch and
// faiss's IndexFlatIP on the same vectors and queries, in interleaved rounds.
//
// Interleaving (A, B, C, A, B, C, ...) with one CPU placement (run under taskset) keeps
// machine drift from favouring whichever ran first. Before timing, each library's top-k ids
// are compared with reco's so that all three answer the same question.
#include <hnswlib/hnswlib.h>
#ifdef RECO_BENCH_FAISS
#include <faiss/IndexFlat.h>
#include <omp.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco/flat_index.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Data {
  std::size_t n, dim;
  std::vector<float> base, queries;
};

Data make_data(std::size_t n, std::size_t dim, std::size_t nq, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  Data d{n, dim, std::vector<float>(n * dim), std::vector<float>(nq * dim)};
  for (float& x : d.base) x = g(rng);
  for (float& x : d.queries) x = g(rng);
  return d;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double time_queries_us(std::size_t nq, F&& query) {
  auto t0 = Clock::now();
  for (std::size_t q = 0; q < nq; ++q) query(q);
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / nq;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::size_t dim = 64, nq = 200, rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::vector<std::size_t> sizes = {10000, 100000};
  const std::vector<std::size_t> ks = {50, 200};
#ifdef RECO_BENCH_FAISS
  omp_set_num_threads(1);  // one query at a time on one core, as in the server
#endif
  std::printf("%-8s %-5s %-24s %12s %12s\n", "items", "k", "index", "median us/q", "agree@k");
  for (std::size_t n : sizes) {
    Data d = make_data(n, dim, nq, 42);
    reco::FlatIndex reco_index(dim, reco::Metric::InnerProduct);
    for (std::size_t i = 0; i < n; ++i)
      reco_index.set(static_cast<std::uint32_t>(i), {&d.base[i * dim], dim});
    hnswlib::InnerProductSpace space(dim);
    hnswlib::BruteforceSearch<float> brute(&space, n);
    for (std::size_t i = 0; i < n; ++i) brute.addPoint(&d.base[i * dim], i);
#ifdef RECO_BENCH_FAISS
    faiss::IndexFlatIP flat(dim);
    flat.add(n, d.base.data());
#endif
    const reco::ItemFilter no_filter;
    for (std::size_t k : ks) {
      // Agreement with reco's answer (ties aside, exact searches must match).
      double agree_h = 0;
      [[maybe_unused]] double agree_f = 0;  // read only with faiss
      for (std::size_t q = 0; q < nq; ++q) {
        std::set<std::size_t> ours;
        for (auto& h : reco_index.search({&d.queries[q * dim], dim}, k, no_filter)) ours.insert(h.id);
        auto pq = brute.searchKnn(&d.queries[q * dim], k);
        std::size_t hit = 0;
        for (; !pq.empty(); pq.pop()) hit += ours.count(pq.top().second);
        agree_h += double(hit) / k;
#ifdef RECO_BENCH_FAISS
        std::vector<float> D(k);
        std::vector<faiss::Index::idx_t> I(k);
        flat.search(1, &d.queries[q * dim], k, D.data(), I.data());
        hit = 0;
        for (auto i : I) hit += ours.count(static_cast<std::size_t>(i));
        agree_f += double(hit) / k;
#endif
      }
      std::vector<double> t_reco, t_hnsw, t_faiss;
      volatile std::size_t sink = 0;
      for (std::size_t r = 0; r < rounds; ++r) {
        t_reco.push_back(time_queries_us(nq, [&](std::size_t q) {
          sink = sink + reco_index.search({&d.queries[q * dim], dim}, k, no_filter).size();
        }));
        t_hnsw.push_back(time_queries_us(nq, [&](std::size_t q) {
          sink = sink + brute.searchKnn(&d.queries[q * dim], k).size();
        }));
#ifdef RECO_BENCH_FAISS
        std::vector<float> D(k);
        std::vector<faiss::Index::idx_t> I(k);
        t_faiss.push_back(time_queries_us(nq, [&](std::size_t q) {
          flat.search(1, &d.queries[q * dim], k, D.data(), I.data());
          sink = sink + I[0];
        }));
#endif
      }
      std::printf("%-8zu %-5zu %-24s %12.1f %12s\n", n, k, "reco FlatIndex", median(t_reco), "1.000");
      std::printf("%-8zu %-5zu %-24s %12.1f %12.3f\n", n, k, "hnswlib BruteforceSearch",
                  median(t_hnsw), agree_h / nq);
#ifdef RECO_BENCH_FAISS
      std::printf("%-8zu %-5zu %-24s %12.1f %12.3f\n", n, k, "faiss IndexFlatIP", median(t_faiss),
                  agree_f / nq);
#endif
    }
    std::printf("%-8zu memory: reco FlatIndex %.1f bytes/item (vectors alone: %zu)\n", n,
                double(reco_index.memory_bytes()) / n, dim * sizeof(float));
  }
  return 0;
}
