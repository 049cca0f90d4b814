// Slow, obviously-correct reference answers that the engine's tests compare against.
//
// Kept apart from the engine on purpose: it recomputes scores in double precision from the
// raw vectors the test itself generated, so a shared bug (say, in normalisation) cannot
// make engine and reference agree by accident.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <vector>

#include "reco/metric.hpp"

namespace reco_test {

inline std::vector<float> random_vector(std::mt19937_64& rng, std::size_t dim) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(dim);
  for (auto& x : v) x = d(rng);
  return v;
}

inline std::vector<float> unit(std::span<const float> v) {
  double n = 0;
  for (float x : v) n += double(x) * x;
  n = std::sqrt(n);
  std::vector<float> out(v.begin(), v.end());
  if (n > 0)
    for (auto& x : out) x = float(x / n);
  return out;
}

// "Higher is better" score of `item` for `query`, as metric.hpp defines it.
inline double ref_score(reco::Metric m, std::span<const float> query, std::span<const float> item) {
  double s = 0;
  switch (m) {
    case reco::Metric::InnerProduct:
      for (std::size_t i = 0; i < query.size(); ++i) s += double(query[i]) * item[i];
      return s;
    case reco::Metric::Cosine: {
      double qq = 0, ii = 0;
      for (std::size_t i = 0; i < query.size(); ++i) {
        s += double(query[i]) * item[i];
        qq += double(query[i]) * query[i];
        ii += double(item[i]) * item[i];
      }
      if (qq == 0 || ii == 0) return 0;
      return s / std::sqrt(qq * ii);
    }
    case reco::Metric::L2:
      for (std::size_t i = 0; i < query.size(); ++i) {
        double d = double(query[i]) - item[i];
        s += d * d;
      }
      return -s;
  }
  return 0;
}

struct RefHit {
  std::uint32_t id;
  double score;
};

// Brute force over ids [0, vectors.size()): present(id) says whether the id holds a vector,
// allowed(id) whether the filter lets it through. Best first, ties toward smaller id.
inline std::vector<RefHit> brute_force(reco::Metric m, std::span<const float> query,
                                       const std::vector<std::vector<float>>& vectors,
                                       const std::function<bool(std::uint32_t)>& present,
                                       const std::function<bool(std::uint32_t)>& allowed,
                                       std::size_t k) {
  std::vector<RefHit> all;
  for (std::uint32_t id = 0; id < vectors.size(); ++id)
    if (present(id) && allowed(id)) all.push_back({id, ref_score(m, query, vectors[id])});
  std::sort(all.begin(), all.end(), [](const RefHit& a, const RefHit& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  });
  if (all.size() > k) all.resize(k);
  return all;
}

// Tolerance for comparing float32 engine scores against the double reference.
inline double score_tolerance(double magnitude) { return 1e-4 * std::max(1.0, std::fabs(magnitude)); }

}  // namespace reco_test
