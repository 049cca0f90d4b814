// Deterministic clustered vectors for the index benchmarks.
//
// Gaussian clusters: centres drawn from N(0, I); each cluster has its own spread (0.2 to
// 0.6 of the centres' scale) and a Zipf-like weight (1/sqrt(rank)), so clusters differ in
// size and density as real embedding clusters do. Uniform random vectors would make every
// point's neighbours nearly equidistant, which flatters no index and resembles no catalog.
// Queries come from the same mixture, drawn after the base set from the same generator, so
// none of them is a base vector. Header-only so each bench stays one translation unit.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace reco::bench {

struct ClusteredData {
  std::size_t n = 0, dim = 0, nq = 0, clusters = 0;
  std::vector<float> base;              // n x dim
  std::vector<float> queries;           // nq x dim
  std::vector<std::uint32_t> cluster;   // cluster of each base vector
  std::vector<double> weight;           // relative cluster sizes
};

inline ClusteredData make_clustered(std::size_t n, std::size_t dim, std::size_t nq,
                                    std::size_t clusters, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss;
  std::uniform_real_distribution<float> spread(0.2f, 0.6f);
  ClusteredData d;
  d.n = n;
  d.dim = dim;
  d.nq = nq;
  d.clusters = clusters;
  std::vector<float> centres(clusters * dim), sigma(clusters);
  for (float& x : centres) x = gauss(rng);
  for (float& s : sigma) s = spread(rng);
  d.weight.resize(clusters);
  for (std::size_t c = 0; c < clusters; ++c) d.weight[c] = 1.0 / std::sqrt(double(c + 1));
  std::discrete_distribution<std::uint32_t> pick(d.weight.begin(), d.weight.end());
  auto draw = [&](float* out) {
    std::uint32_t c = pick(rng);
    for (std::size_t j = 0; j < dim; ++j) out[j] = centres[c * dim + j] + sigma[c] * gauss(rng);
    return c;
  };
  d.base.resize(n * dim);
  d.cluster.resize(n);
  d.queries.resize(nq * dim);
  for (std::size_t i = 0; i < n; ++i) d.cluster[i] = draw(&d.base[i * dim]);
  for (std::size_t i = 0; i < nq; ++i) draw(&d.queries[i * dim]);
  return d;
}

inline void normalise_rows(std::vector<float>& v, std::size_t dim) {
  for (std::size_t i = 0; i + dim <= v.size(); i += dim) {
    double s = 0;
    for (std::size_t j = 0; j < dim; ++j) s += double(v[i + j]) * v[i + j];
    float inv = s > 0 ? float(1.0 / std::sqrt(s)) : 0.f;
    for (std::size_t j = 0; j < dim; ++j) v[i + j] *= inv;
  }
}

}  // namespace reco::bench
